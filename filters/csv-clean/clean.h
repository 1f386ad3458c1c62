/* clean.h - the parts of medcap-csv-clean: options, counters, caption
 * parts, the split assignment and the record writer.  Each input format
 * has its own file (clean_medpix.c, clean_chexpert.c, clean_nih.c,
 * clean_covid.c, clean_generic.c); medcap-csv-clean is the program. */
#ifndef MEDCAP_CSV_CLEAN_H
#define MEDCAP_CSV_CLEAN_H

#include "io/csv.h"
#include "io/idset.h"
#include "io/ndjson.h"
#include "core/strtab.h"

#include <stdint.h>

enum fmt { FMT_AUTO, FMT_MEDPIX, FMT_CHEXPERT, FMT_NIH, FMT_COVID, FMT_GENERIC, FMT_DICOM };
enum uncertain { UNC_IGNORE, UNC_POSITIVE, UNC_NEGATIVE };

/* Why a row produced no record (counted for --stats). */
enum drop {
    DROP_MALFORMED,   /* not parseable: skipped under --keep-going */
    DROP_PLACEHOLDER, /* "Replace this - DESCRIPTION...", "IN PROGRESS" */
    DROP_SHORT,       /* free-text caption under --min-words words */
    DROP_MODALITY,    /* not CT, MR or X-ray */
    DROP_NO_CAPTION,  /* empty caption or finding */
    DROP_NO_IMAGE,    /* empty image file name */
    DROP_DUPLICATE,   /* an id already written: skipped under --keep-going */
    DROP_N
};

#define MAX_SPLITS 8

typedef struct {
    int n;
    char name[MAX_SPLITS][32];
    uint32_t weight[MAX_SPLITS];
    uint64_t total;
} clean_split_spec;

/* One caption part: its name in --template and captions, and the record
 * key whose value it shows. */
typedef struct {
    const char *name;
    const char *key;
} clean_part;

typedef struct {
    /* options */
    int format;             /* FMT_* (FMT_AUTO: detect per file) */
    int uncertain;          /* UNC_*: CheXpert -1.0 labels */
    long min_words;         /* free-text captions shorter than this are dropped */
    const char *template_;  /* comma-separated part names, NULL: the format's default */
    const char *image_prefix;
    const char *image_col, *caption_col, *id_col, *patient_col; /* generic */
    clean_split_spec split;
    int resplit;            /* hash every row, ignoring a data set's own split */
    int keep_going, stats;
    const char *salt;       /* dicom: --salt KEY of the hashed ids, or NULL */
    int characteristics;    /* dicom: --patient-characteristics, sex and age */
    /* counters */
    long rows, written, dropped[DROP_N];
    int nsplits_seen;                   /* distinct split names written */
    char split_seen[2 * MAX_SPLITS][32];
    long per_split[2 * MAX_SPLITS];
    mc_strtab keys;                     /* record keys written, for --stats' roles */
    mc_idset ids;                       /* ids written, to refuse a repeated one */
    const char *at_file;                /* where the row being turned into a record */
    long at_line;                       /* came from (line 0: none), for messages */
} clean_ctx;

/* clean_text.c */
/* Lower-case ASCII letters, turn runs of whitespace into one space and trim.
 * Returns a malloc'd string, or NULL when s is not valid UTF-8. */
char *clean_text_normalise(const char *s);
/* Number of space-separated words of a normalised string. */
long clean_text_words(const char *s);
/* 1 if a normalised caption is a MedPix placeholder. */
int clean_text_placeholder(const char *s);
/* 1 if s is valid UTF-8. */
int clean_text_utf8(const char *s);
/* "male" or "female" for a data set's sex value (M, F, Male, Female, male,
 * female, any case, blanks around); NULL for anything else (Unknown, N/A,
 * O, empty), which records leave out. */
const char *clean_text_sex(const char *s);
/* Parse a whole decimal age in 0..200 into *age; 0 on success, -1 if not. */
int clean_text_age(const char *s, long *age);

/* clean_split.c */
/* Parse "NAME=WEIGHT,..." into sp; 0, or -1 with a message in err. */
int clean_split_parse(clean_split_spec *sp, const char *spec, char *err, size_t errlen);
/* The split of a group key (patient or case id): stable across runs and
 * machines, so every row of one patient lands in one split. */
const char *clean_split_assign(const clean_split_spec *sp, const char *key);

/* clean_emit.c */
/* Check that every part of ctx->template_ exists in parts (NULL-name
 * terminated); on failure a usage error naming the format. */
void clean_emit_check_template(const clean_ctx *ctx, const clean_part *parts, const char *format);
/* Write one record {id, image, caption, split, ...fields} to stdout and
 * count it; fields (an object, consumed) supply the caption parts.  The
 * split is own_split when given and not --resplit, else hashed from
 * group.  Returns 0, or MC_EXIT_IO on a write error. */
int clean_emit_record(clean_ctx *ctx, const char *id, const char *image, const char *own_split,
                const char *group, cJSON *fields, const clean_part *parts,
                const char *default_template);
/* clean_emit_record for image file (under dir, as clean_emit_image_path)
 * whose id is file without its extension (from its last '.'), the split
 * hashed from group. */
int clean_emit_file_record(clean_ctx *ctx, const char *dir, const char *file, const char *group,
                           cJSON *fields, const clean_part *parts, const char *default_template);
/* The same with a given caption (malloc'd, consumed) instead of parts. */
int clean_emit_record_caption(clean_ctx *ctx, const char *id, const char *image, const char *own_split,
                        const char *group, cJSON *fields, char *caption);
/* Write rec (consumed) with "split" = split added, and count it.
 * Returns 0, or MC_EXIT_IO on a write error.  All the writers refuse an
 * id already written, naming both rows (clean_emit_at): MC_EXIT_INPUT, or
 * 0 with the row dropped (DROP_DUPLICATE) under --keep-going. */
int clean_emit_plain(clean_ctx *ctx, cJSON *rec, const char *split);
/* Start and free the record writer's state (the ids written). */
void clean_emit_init(clean_ctx *ctx);
void clean_emit_free(clean_ctx *ctx);
/* Say where the next record comes from: file and line (0: none). */
void clean_emit_at(clean_ctx *ctx, const char *file, long line);
/* Count a dropped row. */
void clean_emit_drop(clean_ctx *ctx, enum drop why);
/* A malformed row at file:line (line 0: none): print "what" and count it.
 * Returns 0 to go on (--keep-going) or MC_EXIT_INPUT to stop. */
int clean_emit_malformed(clean_ctx *ctx, const char *file, long line, const char *what);
/* Print the --stats summary to stderr. */
void clean_emit_stats(const clean_ctx *ctx);
/* Add a string item when value is non-empty. */
void clean_emit_add_str(cJSON *o, const char *key, const char *value);
/* The image path: --image-prefix followed by the parts (joined by '/'
 * where dir is non-empty). Returns a malloc'd string. */
char *clean_emit_image_path(const clean_ctx *ctx, const char *dir, const char *file);

/* Format handlers.  Each reads one opened file (csv: header already read)
 * and returns 0 or an exit status. */
enum { MEDPIX_UNKNOWN, MEDPIX_DESCRIPTIONS, MEDPIX_CASES };
/* What a JSON file holds, from its first object; 0 or an exit status. */
int clean_medpix_kind(const char *path, int *kind);
int clean_medpix_load_cases(clean_ctx *ctx, const char *path);
int clean_medpix_descriptions(clean_ctx *ctx, const char *path);
void clean_medpix_free_cases(void);
int clean_chexpert_run(clean_ctx *ctx, mc_csv *c, const char *path);
int clean_nih_run(clean_ctx *ctx, mc_csv *c, const char *path);
int clean_covid_run(clean_ctx *ctx, mc_csv *c, const char *path);
int clean_generic_run(clean_ctx *ctx, mc_csv *c, const char *path);
/* clean_dicom.c: every DICOM file under path (a folder, walked whole, or
 * one file), headers only, one record per image in path order. */
int clean_dicom_run(clean_ctx *ctx, const char *path);

/* clean_csvrows.c: shared CSV row loop pieces. */
/* Column index of name in the header c holds, or -1 with an error
 * ("missing column") printed when required. */
long clean_csv_col(const mc_csv *c, const char *path, const char *name, int required);
/* Read the next data row, checking its field count against ncols and its
 * text as UTF-8.  Returns 1 for a row, 0 at the end, or sets *status (an
 * exit status) and returns -1 to stop; malformed rows are reported and
 * skipped under --keep-going. */
int clean_csv_next_row(clean_ctx *ctx, mc_csv *c, const char *path, size_t ncols, int *status);

#endif
