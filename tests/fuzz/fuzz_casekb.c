/* fuzz_casekb.c - libFuzzer harness: the case knowledge base reader
 * (rt_casekb_load in filters/retrieve/casekb.c) as retrieve --kb runs it
 * (key U_id, 300-byte excerpts), then every case looked up and its fields
 * read.  Seed (tests/fuzz/corpus/casekb/): tests/data/medpix2-kb-3cases.jsonl
 * and a flat-keyed file.  An excerpt over 300 bytes plus "..." aborts. */
#include "fuzz_util.h"
#include "retrieve/casekb.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rt_casekb kb;
    if (rt_casekb_load(&kb, fuzz_path(data, size), "U_id", 300) != 0)
        return 0;
    for (size_t i = 0; i < kb.keys.n; i++) {
        const rt_case_knowledge *kn = rt_casekb_find(&kb, kb.keys.str[i]);
        for (int k = 0; kn && k < MC_KB_NFIELDS; k++)
            if (kn->field[k] && strlen(kn->field[k]) > 300 + 3 && k >= MC_KB_FINDINGS)
                abort(); /* an excerpt longer than asked for */
    }
    rt_casekb_free(&kb);
    return 0;
}
