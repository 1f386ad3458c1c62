/* record_roles.h - what each record field of medcap's data sets is for:
 * part of what the model must write (a target: the caption and the
 * structured fields it opens with), what identifies a patient or a file
 * (never model input, never shown as patient context), or what is known
 * about the patient when an image is read (context: medcap-train
 * --context).  The table is the one csv-clean documents in its FIELDS
 * section; fields it does not list have no role (MC_ROLE_OTHER).
 */
#ifndef MEDCAP_RECORD_ROLES_H
#define MEDCAP_RECORD_ROLES_H

enum { MC_ROLE_OTHER, MC_ROLE_TARGET, MC_ROLE_IDENTIFYING, MC_ROLE_CONTEXT };

/* The role of record key name. */
int mc_record_role(const char *name);
/* "target", "identifying", "context" or "other". */
const char *mc_record_role_name(int role);

#endif
