/* npz.h - a stream of frames as one NumPy .npz archive, written as the
 * frames arrive.
 *
 * An .npz is a zip of .npy members (numpy.savez).  Each frame becomes the
 * stored (uncompressed) member NAME.npy, where NAME is the frame's record id
 * with every byte outside [A-Za-z0-9._-] replaced by '_' and cut to 200
 * bytes; the second, third, ... frame with the same NAME gets NAME~2,
 * NAME~3, ... ('~' never survives the replacement, so these cannot clash
 * with another id's NAME).  The name "records" is taken by the last member,
 * records.npy: the records of the frames in order as the UTF-8 text of a
 * JSON array (each record's text as the frame holds it), stored as a 1-D
 * uint8 array, so that numpy.load reads it without allow_pickle:
 *     json.loads(numpy.load("x.npz")["records"].tobytes())
 *
 * The archive is written front to back without seeking (every member's CRC
 * and size are known before its data: a frame is in memory whole), so the
 * output may be a pipe.  Memory stays flat: the records go to a temporary
 * file until the end, and only the central directory (about 80 bytes a
 * frame) and the names used are kept.  ZIP64 fields are written where a
 * size, offset or count does not fit the classic ones (a member over 4 GiB,
 * an archive over 4 GiB, over 65535 members).  Times are 1980-01-01 00:00,
 * so the same frames always give the same bytes.
 */
#ifndef MEDCAP_NPZ_H
#define MEDCAP_NPZ_H

#include "io/frame.h"
#include "core/strtab.h"

#include <stdint.h>
#include <stdio.h>

/* The longest NAME kept from an id, in bytes. */
#define NPZ_NAME_MAX 200

typedef struct {
    FILE *f;            /* the archive */
    uint64_t off;       /* bytes written to f */
    unsigned char *cd;  /* central directory entries so far */
    size_t cd_len, cd_cap;
    uint64_t members;
    FILE *recs;         /* the records' JSON text until the end */
    uint64_t recs_len;
    uint32_t recs_crc;
    mc_strtab names;    /* NAMEs seen (sanitised ids, and "records") */
    long *uses;         /* (names.n) times each NAME was seen */
    size_t uses_cap;
} npz_writer;

/* Start an archive on f.  Returns 0, or -1 when no temporary file can be
 * made for the records (errno set). */
int npz_open(npz_writer *z, FILE *f);

/* The member name (without ".npy") of the next frame with record id id,
 * written to out (at least NPZ_NAME_MAX + 24 bytes), and counted as used. */
void npz_name(npz_writer *z, const char *id, char *out);

/* Add frame fr, whose record text is fr->meta and whose id is id, as the
 * member npz_name(id).npy.  Returns 0, or -1 on a write error (errno). */
int npz_add(npz_writer *z, const mc_frame *fr, const char *id);

/* Write records.npy, the central directory and the end records.  Returns
 * 0, or -1 on a write or read error (errno).  f is not closed. */
int npz_finish(npz_writer *z);

/* Free what z holds (and its temporary file); f is not closed. */
void npz_free(npz_writer *z);

#endif
