/* record_roles.c - the roles of medcap's record fields. */
#include "io/record_roles.h"

#include <string.h>

static const struct {
    const char *name;
    int role;
} roles[] = {
    {"caption", MC_ROLE_TARGET},        {"caption_text", MC_ROLE_TARGET},
    {"modality", MC_ROLE_TARGET},       {"modality_detail", MC_ROLE_TARGET},
    {"plane", MC_ROLE_TARGET},          {"category", MC_ROLE_TARGET},
    {"diagnosis", MC_ROLE_TARGET},      {"finding", MC_ROLE_TARGET},
    {"findings", MC_ROLE_TARGET},       {"impression", MC_ROLE_TARGET},
    {"labels", MC_ROLE_TARGET},         {"view", MC_ROLE_TARGET},
    {"projection", MC_ROLE_TARGET},     {"fields", MC_ROLE_TARGET},
    {"interpretation", MC_ROLE_TARGET},
    {"id", MC_ROLE_IDENTIFYING},        {"image", MC_ROLE_IDENTIFYING},
    {"case_id", MC_ROLE_IDENTIFYING},   {"patient_id", MC_ROLE_IDENTIFYING},
    {"patient_name", MC_ROLE_IDENTIFYING}, {"birth_date", MC_ROLE_IDENTIFYING},
    {"patient_birth_date", MC_ROLE_IDENTIFYING}, {"accession", MC_ROLE_IDENTIFYING},
    {"study_uid", MC_ROLE_IDENTIFYING}, {"series_uid", MC_ROLE_IDENTIFYING},
    {"sop_uid", MC_ROLE_IDENTIFYING},   {"url", MC_ROLE_IDENTIFYING},
    {"age", MC_ROLE_CONTEXT},           {"sex", MC_ROLE_CONTEXT},
    {"location", MC_ROLE_CONTEXT},      {"location_category", MC_ROLE_CONTEXT},
    {"body_part", MC_ROLE_CONTEXT},     {"clinical_notes", MC_ROLE_CONTEXT},
    {"indication", MC_ROLE_CONTEXT},
};

int mc_record_role(const char *name)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (strcmp(roles[i].name, name) == 0)
            return roles[i].role;
    return MC_ROLE_OTHER;
}

const char *mc_record_role_name(int role)
{
    static const char *const names[] = {"other", "target", "identifying", "context"};
    return role >= 0 && role <= MC_ROLE_CONTEXT ? names[role] : "other";
}
