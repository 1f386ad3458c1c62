/* dicom_record.h - the record keys made from a DICOM file's attributes
 * (see dicom.h for mc_dcm_info and the privacy rule). */
#ifndef MEDCAP_IO_DICOM_RECORD_H
#define MEDCAP_IO_DICOM_RECORD_H

#include "io/dicom.h"
#include <cjson/cJSON.h>

/* Add to rec the keys of info that rec does not have yet:
 *   id        "dcm-" and 16 hex digits of HMAC-SHA256(salt, SOP Instance UID)
 *   case_id   the same of the Study Instance UID
 *   patient_id  the same ("pt-") of the Patient ID, only when salt is given:
 *             unsalted, a short patient ID could be found again by trying
 *             every one
 *   modality  ct, mr, xr (CR, DX, RG), or the Modality in lower case
 *   plane     axial, coronal, sagittal or oblique, from Image Orientation
 *   view      pa, ap, lateral (LL, RL, LAT), or the View Position in lower case
 *   body_part, laterality (lower case), rows, columns, pixel_spacing [row, column]
 *   sex (male|female) and age (whole years, over 89 as 90), only when
 *             characteristics is set: the Retain Patient Characteristics
 *             option of the DICOM de-identification profile (PS3.15), whose
 *             basic profile removes them
 * An attribute the file lacks adds no key.  salt NULL: no patient key, and
 * the UIDs hashed with an empty key. */
void mc_dcm_record(const mc_dcm_info *info, cJSON *rec, const char *salt, int characteristics);

/* The plane of an image whose rows and columns run along the direction
 * cosines o[0..2] and o[3..5]: the axis its normal is closest to, or
 * "oblique" when the normal is more than 37 degrees off every axis. */
const char *mc_dcm_plane(const double o[6]);

#endif
