/* embedding.h - token embedding lookup, PyTorch's nn.Embedding:
 *   out[n,:] = w[tok[n],:]       w (V,E)
 */
#ifndef MEDCAP_EMBEDDING_H
#define MEDCAP_EMBEDDING_H

/* out (N, stride) rows get E values each from w (V,E) for tokens tok (N),
 * every token in [0,V). */
void mc_embedding_forward(float *out, int stride, const int *tok, const float *w, int N, int E);
/* Accumulates (+=) dout rows (N, stride; first E of each) into dw rows. */
void mc_embedding_backward(float *dw, const float *dout, int stride, const int *tok, int N, int E);

#endif
