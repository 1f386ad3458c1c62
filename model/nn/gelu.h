/* gelu.h - the GELU activation, tanh approximation (llm.c style):
 *   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 * PyTorch's nn.GELU(approximate="tanh").
 */
#ifndef MEDCAP_GELU_H
#define MEDCAP_GELU_H

#include <stddef.h>

/* out (N) = gelu(inp (N)); out may equal inp. */
void mc_gelu_forward(float *out, const float *inp, size_t N);

/* Accumulates (+=) dinp (N) from dout (N) and the forward's inp (N). */
void mc_gelu_backward(float *dinp, const float *inp, const float *dout, size_t N);

#endif
