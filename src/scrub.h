/* scrub.h - tokens of this installation taken out of what people post.
 *
 * A token is the capability of the one person it was mailed to (DESIGN.md,
 * Trust model), and people paste them back without knowing: a reply that
 * quotes a digest, a post that copies a reply address or an unsubscribe
 * link.  Every post passes here before it is stored (post.c).
 */
#ifndef RD_SCRUB_H
#define RD_SCRUB_H

#include "message.h"
#include "rounds.h"

/* What a token is replaced with. */
#define RD_SCRUB_MARK "[address removed]"

/* TEXT with every token of an address at one of DOMAINS (NULL-terminated,
 * the domains of the installation's communities, and [web] url when set:
 * an entry with "://") replaced by RD_SCRUB_MARK; NULL when there is none
 * (see scrub.c for the shapes). */
char *rd_scrub_text(const char *text, const char *const *domains);

/* Hold reasons *HOLD of rd_scrub_message(): a DICOM object (its header
 * names the patient), a photo whose metadata could not be removed. */
#define RD_SCRUB_HOLD_DICOM "dicom"
#define RD_SCRUB_HOLD_PHOTO "photo-metadata"

/* Take the tokens out of the posted message M, whose raw form is DATA:
 * its text parts (attached messages too), Subject, To, Cc, Reply-To,
 * References and In-Reply-To; and the metadata out of its photos
 * (photo.h).  NULL when nothing changed; else the new raw message, and
 * M's body, HTML, subject and references changed to match.  *HOLD is set
 * to an RD_SCRUB_HOLD_* reason when the post must not go out as it is. */
GBytes *rd_scrub_message(rd_message *m, GBytes *data, const char *const *domains,
                         const char **hold);

#endif
