/* interpretation.h - the readable paragraph of medcap-retrieve: the
 * generated caption, then the retrieved cases, each quote marked with the
 * case or image it comes from (used by medcap-retrieve).
 */
#ifndef MEDCAP_INTERPRETATION_H
#define MEDCAP_INTERPRETATION_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Compose the paragraph (malloc'd) from given (decode-caption's "given"
 * object of patient context, may be NULL: "Given: 74-year-old female;
 * location: chest. " opens the paragraph, before "Generated caption: "; identifying fields are
 * never written), generated (the caption decode-caption wrote) and the first n entries of neighbors (medcap-retrieve's array:
 * similarity, id, case_id, caption, knowledge).  A neighbour with knowledge
 * is quoted as "(quoted from KB_NAME case ID)", one without as "(quoted
 * from indexed image ID)".  n 0 gives the caption alone; an empty
 * neighbors array, "Similar cases: none found." */
char *rt_interpretation_compose(const char *generated, const cJSON *given, const cJSON *neighbors,
                                size_t n, const char *kb_name);

#endif
