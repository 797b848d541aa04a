/* photo.h - what a photo says about where and by whom it was taken,
 * taken out before it is stored (DESIGN.md: a patient's identity never
 * reaches the list by accident).
 *
 * A phone photo of a wound carries, in EXIF and XMP, the GPS position of
 * the ward, the phone's serial number and often its owner's name.  Every
 * post passes through scrub.c before it is stored; scrub.c hands each
 * image attachment to rd_photo_clean() and stores what comes back, so the
 * original bytes are never kept.
 */
#ifndef RD_PHOTO_H
#define RD_PHOTO_H

#include "rounds.h"

/* Whether a part of CONTENT_TYPE (may be NULL) named FILENAME (may be
 * NULL) is a photo rd_photo_clean() must see: image/jpeg, png, tiff,
 * heic, heif, webp, or a file name ending in one of their extensions. */
gboolean rd_photo_is_photo(const char *content_type, const char *filename);

/* Whether the part is a DICOM object (application/dicom, *.dcm): its
 * header carries the patient's name and id, so a post with one is held. */
gboolean rd_photo_is_dicom(const char *content_type, const char *filename);

/* IMAGE without its EXIF, XMP and IPTC metadata and comment; only the
 * orientation is kept, so that the photo still shows the right way up.
 * NULL with ERROR when the format cannot be rewritten (HEIC, for one) or
 * the bytes are not an image: the caller must not pass IMAGE on. */
GBytes *rd_photo_clean(GBytes *image, GError **error);

#endif
