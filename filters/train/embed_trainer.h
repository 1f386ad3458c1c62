/* embed_trainer.h - medcap-train --objective contrastive: train the joint
 * image-text embedding (the CLIP idea) on feature frames with captions.
 *
 * A projection of the pooled image features and a small text encoder
 * (mean of word embeddings, then a linear layer) are trained onto one unit
 * sphere by the symmetric InfoNCE loss over each batch with a learned
 * temperature (model/nn/contrastive.c, model/arch/embed_model.c).  The training set
 * is read into memory; each epoch visits it in an order shuffled from the
 * seed, with Adam, decoupled weight decay on the weight matrices, a cosine
 * decay of the learning rate and, as regularisation, dropout of image
 * feature values and of caption words.  With a validation file, image to
 * text and text to image recall@1/5/10 are measured after every epoch and
 * the weights of the best epoch (mean of the six recalls) are kept.  The
 * model file is written atomically at the end.
 */
#ifndef MEDCAP_TRAIN_EMBED_TRAINER_H
#define MEDCAP_TRAIN_EMBED_TRAINER_H

typedef struct {
    const char *train, *val, *out, *field, *log;
    long epochs, batch, proj_dim, embed, max_len, min_freq, max_vocab, seed;
    double lr, wd, dropout;
} tr_embed_train_options;

/* Train as o says and write o->out.  Returns 0, or an exit status after a
 * message (MC_EXIT_INPUT bad frames, MC_EXIT_IO unreadable input or
 * unwritable log or model). */
int tr_embed_train_run(const tr_embed_train_options *o);

#endif
