#!/bin/bash
# t-photo.sh - a photo's GPS position, camera serial and owner never leave
# with it (issue 19, item 5): the JPEG a phone attaches is stored without
# its EXIF/XMP/IPTC, so no list copy, digest or `get` can carry them; a
# DICOM object, and a photo that cannot be cleaned, hold the post.
. tests/lib.sh

t_home
R=$ROUNDS
L=lists.example.test
tomorrow=$(date -u -d '+1 day' +%Y-%m-%dT12:00:00Z)

"$R" community create care --title "Wound Care" >/dev/null
"$R" member add care ana.rn@example.org --name "Ana RN" --delivery each >/dev/null
"$R" member add care ben.md@example.org --name "Ben MD" --delivery digest >/dev/null
"$R" member add care cy.np@example.org --name "Cy NP" >/dev/null

# A phone photo: an 8x8 JPEG with what a phone writes into it.
printf 'P6\n8 8\n255\n' >"$T_TMP/p.ppm"
head -c 192 /dev/zero | tr '\0' '\144' >>"$T_TMP/p.ppm"
cjpeg -quality 60 "$T_TMP/p.ppm" >"$T_TMP/wound.jpg"
exiv2 -M'set Exif.GPSInfo.GPSLatitudeRef N' -M'set Exif.GPSInfo.GPSLatitude 53/1 47/1 51/1' \
	-M'set Exif.GPSInfo.GPSLongitudeRef W' -M'set Exif.GPSInfo.GPSLongitude 1/1 32/1 53/1' \
	-M'set Exif.Photo.BodySerialNumber SN0417733' -M'set Exif.Image.Artist Dr Jo Bloggs' \
	-M'set Exif.Image.Make Google' -M'set Exif.Image.Orientation 6' \
	-M'set Xmp.dc.creator Jo Bloggs' -M'set Iptc.Application2.City Leeds' "$T_TMP/wound.jpg"
exiv2 -pa "$T_TMP/wound.jpg" 2>/dev/null >"$T_TMP/before"
expect_eq "the test photo carries GPS, serial and owner" \
	"$(grep -c 'GPSLatitude \|BodySerialNumber\|Artist\|Xmp.dc.creator\|City' "$T_TMP/before")" 5

# attach FROM SUBJECT FILE TYPE [related]: a message with FILE attached
# (base64), or as an inline image of an HTML part when "related".
N=0
attach() {
	N=$((N + 1))
	b=frontier$N
	printf 'From: %s\nTo: care@%s\nSubject: %s\n' "$1" "$L" "$2"
	printf 'Date: Tue, 24 Nov 2026 10:%02d:00 +0000\nMessage-ID: <photo%d.%d@mail.example.org>\n' "$N" "$N" "$$"
	if [ "${5:-}" = related ]; then
		printf 'MIME-Version: 1.0\nContent-Type: multipart/related; boundary="%s"\n\n' "$b"
		printf -- '--%s\nContent-Type: text/html; charset=utf-8\n\n<p>See the wound:</p><img src="cid:img1@x">\n' "$b"
		printf -- '--%s\nContent-Type: %s\nContent-ID: <img1@x>\nContent-Transfer-Encoding: base64\n\n' "$b" "$4"
	else
		printf 'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="%s"\n\n' "$b"
		printf -- '--%s\nContent-Type: text/plain; charset=utf-8\n\nPhoto attached, what would you use?\n' "$b"
		printf -- '--%s\nContent-Type: %s; name="%s"\nContent-Disposition: attachment; filename="%s"\n' \
			"$b" "$4" "$(basename "$3")" "$(basename "$3")"
		printf 'Content-Transfer-Encoding: base64\n\n'
	fi
	base64 "$3"
	printf -- '--%s--\n' "$b"
}
# images EML DIR: every image part of EML (attached messages too) as files in DIR.
images() {
	rm -rf "$2" && mkdir -p "$2"
	python3 - "$1" "$2" <<'PY'
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
n = 0
for p in m.walk():
    if p.get_content_maintype() == "image":
        n += 1
        open(f"{sys.argv[2]}/{n}.img", "wb").write(p.get_payload(decode=True))
PY
}
# leaks DIR: metadata lines found in the images of DIR (none is right),
# "no image" when there is none.
leaks() {
	ls "$1"/*.img >/dev/null 2>&1 || { echo "no image"; return; }
	for f in "$1"/*.img; do exiv2 -pa "$f" 2>/dev/null; done | grep -v 'Exif.Image.Orientation' | grep -c .
}

attach ben.md@example.org "Venous ulcer, day 3" "$T_TMP/wound.jpg" image/jpeg >"$T_TMP/in.eml"
expect_code 0 "a post with a phone photo is accepted" deliver "care@$L" "$T_TMP/in.eml" ben.md@example.org
expect_eq "and posted, not held" "$(message_field care 'm["subject"] == "Venous ulcer, day 3"' status)" posted

"$R" outbox show "$(outbox_id 'o["recipient"] == "ana.rn@example.org"')" >"$T_TMP/copy.eml"
images "$T_TMP/copy.eml" "$T_TMP/copy"
expect_eq "the list copy has the photo, without GPS, serial, owner, XMP or IPTC" "$(leaks "$T_TMP/copy")" 0
expect_eq "the photo still shows the right way up (orientation kept)" \
	"$(exiv2 -K Exif.Image.Orientation -Pv "$T_TMP/copy/1.img" 2>/dev/null)" 6
expect_eq "and is still a JPEG" "$(head -c 3 "$T_TMP/copy/1.img" | od -An -tx1 | tr -d ' ')" ffd8ff

# The same photo inline in an HTML post (Outlook on a phone).
attach cy.np@example.org "Same wound, inline" "$T_TMP/wound.jpg" image/jpeg related >"$T_TMP/in2.eml"
expect_code 0 "an HTML post with an inline photo is accepted" deliver "care@$L" "$T_TMP/in2.eml" cy.np@example.org
"$R" outbox show "$(outbox_id 'o["recipient"] == "ana.rn@example.org" and "inline" in (o["subject"] or "")')" >"$T_TMP/copy2.eml"
images "$T_TMP/copy2.eml" "$T_TMP/copy2"
expect_eq "the inline photo lost its metadata too" "$(leaks "$T_TMP/copy2")" 0

# The digest shows the photos inline: no metadata there either.
"$R" tick --now "$tomorrow" --no-send >/dev/null 2>&1
"$R" outbox show "$(outbox_id 'o["recipient"] == "ben.md@example.org" and o["kind"] == "digest"')" >"$T_TMP/digest.eml"
images "$T_TMP/digest.eml" "$T_TMP/digest"
expect_eq "the digest's photos carry no metadata" "$(leaks "$T_TMP/digest")" 0

# A DICOM object names the patient in its header: held, sent to nobody.
printf 'DICM\x02\x00\x10\x00PATIENT^MARIA' >"$T_TMP/CT0001.dcm"
before=$(outbox_n 'o["kind"] != "digest"')
attach cy.np@example.org "CT from today" "$T_TMP/CT0001.dcm" application/dicom >"$T_TMP/in3.eml"
expect_code 0 "a post with a DICOM file is accepted" deliver "care@$L" "$T_TMP/in3.eml" cy.np@example.org
expect_eq "and held as dicom" "$(message_field care 'm["subject"] == "CT from today"' hold_reason)" dicom
expect_eq "no list copy of it is queued" \
	"$(outbox_n 'o["kind"] != "digest" and "CT from today" in (o["subject"] or "") and o["recipient"] == "ana.rn@example.org"')" 0
# Named only by its file name, as some clients send it.
attach cy.np@example.org "Another CT" "$T_TMP/CT0001.dcm" application/octet-stream >"$T_TMP/in4.eml"
deliver "care@$L" "$T_TMP/in4.eml" cy.np@example.org >/dev/null 2>&1
expect_eq "a .dcm file sent as octet-stream is held too" \
	"$(message_field care 'm["subject"] == "Another CT"' hold_reason)" dicom

# A photo whose metadata cannot be removed (HEIC: Exiv2 cannot rewrite it).
printf '\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic' >"$T_TMP/IMG_0001.heic"
attach ana.rn@example.org "From my iPhone" "$T_TMP/IMG_0001.heic" image/heic >"$T_TMP/in5.eml"
expect_code 0 "a post with a HEIC photo is accepted" deliver "care@$L" "$T_TMP/in5.eml" ana.rn@example.org
expect_eq "and held: its metadata could not be removed" \
	"$(message_field care 'm["subject"] == "From my iPhone"' hold_reason)" photo-metadata

t_done
