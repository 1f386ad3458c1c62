/* lstm.h - the pointwise part of an LSTM cell, PyTorch's nn.LSTMCell gate
 * order (input, forget, cell, output).  The caller computes the gate
 * pre-activations pre (B,4H) = x W_ih^T + b_ih + h W_hh^T + b_hh with
 * mc_linear; then
 *   i = sig(pre_i)  f = sig(pre_f)  g = tanh(pre_g)  o = sig(pre_o)
 *   c' = f*c + i*g          h' = o*tanh(c')
 */
#ifndef MEDCAP_LSTM_H
#define MEDCAP_LSTM_H

/* h, c_out (B,H); act (B,4H) the activated gates, saved for the backward
 * (may alias pre); pre (B,4H); c_in (B,H). */
void mc_lstm_cell_forward(float *h, float *c_out, float *act, const float *pre, const float *c_in,
                          int B, int H);
/* From dh, dc_out (B,H) (dc_out may be NULL: zero): writes dpre (B,4H)
 * and accumulates (+=) into dc_in (B,H), using act, c_in and c_out. */
void mc_lstm_cell_backward(float *dpre, float *dc_in, const float *dh, const float *dc_out,
                           const float *act, const float *c_in, const float *c_out, int B, int H);

#endif
