/* adamw.h - the optimizer: AdamW (Loshchilov and Hutter; weight decay 0 is
 * plain Adam) and gradient clipping by global norm, over a parameter table;
 * buffer tensors (batch-norm statistics) are skipped.
 */
#ifndef MEDCAP_ADAMW_H
#define MEDCAP_ADAMW_H

#include "core/params.h"

/* Scale every gradient by max_norm / norm when the global L2 norm exceeds
 * max_norm (max_norm <= 0: no clipping); returns the norm before. */
float mc_clip_grad_norm(mc_params *p, float max_norm);

/* One AdamW update, as torch.optim.AdamW: w -= lr*wd*w, then the Adam step
 * with bias correction for step t (1-based).  Allocates the moments on
 * first use. */
void mc_adamw_step(mc_params *p, float lr, float beta1, float beta2, float eps, float wd, long t);

/* mc_adamw_step with the weight decay applied only to tensors of at least
 * decay_ndim dimensions: 2 decays weight matrices and convolution kernels,
 * not biases or batch-norm scales and shifts (1-D). */
void mc_adamw_step_nd(mc_params *p, float lr, float beta1, float beta2, float eps, float wd, long t,
                      int decay_ndim);

#endif
