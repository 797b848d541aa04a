/* screen.c - patient identifiers in a post (issue 19).
 *
 * DESCRIPTION
 *	Each rule is a PCRE2 pattern for one kind of identifier (the HIPAA
 *	Safe Harbor kinds and their UK equivalents), an optional check in C
 *	(NHS number mod 11, US SSN ranges, NPI Luhn with the 80840 prefix,
 *	UK NI prefixes) and a flag saying whether it needs clinical context:
 *	a phone number, an e-mail or postal address, an IP address, a device
 *	serial, a date, an age or a name after "Mr" identifies a patient only
 *	in a text about a patient, so those rules fire only when a clinical
 *	word (patient, admitted, wound, dementia, ...; CONTEXT_RE) occurs
 *	within CONTEXT_WINDOW bytes of the match, outside the match itself.
 *	Numbers with their own check rules (NHS, SSN, MBI, NI) and labelled
 *	record numbers ("MRN 00417733") need no context.
 *
 *	What is not an identifier: the signature (trim.c finds it) and the
 *	author's contact block (the last paragraph after a sign-off, or a
 *	short block of short lines naming the author or carrying contact
 *	labels) are not screened for contact details or names; a name that
 *	is an eponym ("Parkinson's disease", "Glasgow Coma Scale"), a common
 *	capitalised word (STOP_WORDS), or on the community's allowlist or a
 *	member's name is not one; a line in Title Case (a subject, a heading)
 *	is not read for names after "patient" or "Mr", since every word there
 *	is capitalised.
 *
 *	The word lists below are our own work, under the project's licence.
 *
 * COST
 *	Patterns are compiled once and JIT-compiled; a text is scanned once
 *	per rule, so a typical post costs a few tens of microseconds.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "html.h"
#include "message.h"
#include "screen.h"
#include "trim.h"

/* How far (bytes) a clinical word may be from a match to make it one. */
#define CONTEXT_WINDOW 300
/* The most of one attachment that is read. */
#define ATTACHMENT_MAX (1024 * 1024)

enum {
	NEED_CONTEXT = 1 << 0, /* only near a clinical word */
	IS_NAME = 1 << 1,      /* stop words, eponyms, allowlist, Title Case lines */
	CONTACT = 1 << 2,      /* not in the author's contact block or signature */
	CASED = 1 << 3,        /* compiled case-sensitively */
};

typedef gboolean (*rule_check)(const char *s, gsize len);

typedef struct {
	const char *kind;
	const char *pattern;
	guint flags;
	rule_check check;
	pcre2_code *re;
} rule;

/* A name: a capitalised word, perhaps hyphenated or with an apostrophe,
 * perhaps followed by a surname or an initial ("Maria K."). */
#define NAME                                                                                    \
	"(?-i:[A-Z][a-z]+(?:['\u2019-][A-Z]?[a-z]+)?"                                          \
	"(?:[ \\t]+(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?|[A-Z]\\.?(?![\\w])))?)"
/* After an honorific also initials ("Mr J. Smith"); an initial alone
 * ("Mr K") is how clinicians write a patient anonymously, not a name. */
#define HNAME "(?-i:(?:[A-Z]\\.?[ \\t]?){0,2}[A-Z][a-z]+(?:-[A-Z][a-z]+)?)"
#define MONTH                                                                                   \
	"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"        \
	"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\b"
#define DATE                                                                                    \
	"(?:\\d{1,2}[/.-]\\d{1,2}[/.-](?:\\d{4}|\\d{2})(?![\\d/.-]\\d)|\\d{4}-\\d{1,2}-\\d{1,2}"  \
	"|\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?" MONTH "\\.?(?:,?\\s+\\d{4})?"                 \
	"|" MONTH "\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?\\b(?:,?\\s+\\d{4})?)"
#define DATE_TRIGGER                                                                            \
	"(?:admitted|admission|readmitted|discharged|discharge|DOB|D\\.O\\.B\\.?|date\\s+of"     \
	"\\s+birth|born|seen|presented|attended|died|death|deceased|passed\\s+away|operated"      \
	"|operation|surgery|transferred|reviewed|visited|came\\s+in|brought\\s+in|diagnosed"      \
	"|fell|collapsed|arrived|delivered|birthday)"
#define OLD "(?:9\\d|1[01]\\d)"

static rule RULES[] = {
    /* Names in patient context. */
    {"name", "\\bpatient(?:'s)?[ \\t]*[:,]?[ \\t]+(?:(?:is|was|called|named|by\\s+the\\s+name\\s+of"
             "|name\\s+is|name\\s*:)\\s+)?(" NAME ")",
     IS_NAME, NULL, NULL},
    {"name", "\\b(?:pt\\.?|pts|client|resident|service\\s+user)[ \\t]*[:,]?[ \\t]+(?:(?:is|was"
             "|called|named|name\\s+is|name\\s*:)\\s+)?(" NAME ")",
     IS_NAME | NEED_CONTEXT, NULL, NULL},
    /* "pt Maria K.": a name with an initial after "pt" is one anywhere. */
    {"name", "\\bpt\\.?[ \\t]*[:,]?[ \\t]+((?-i:[A-Z][a-z]+[ \\t]+[A-Z]\\.|[A-Z]\\.[ \\t]?[A-Z][a-z]+))",
     IS_NAME, NULL, NULL},
    /* "Tom Richards (84)", "Ada Lovelock, a lady of 91": a full name
     * with an age or a person noun after it, in a clinical text. */
    {"name", "(?<![\\w.])((?-i:[A-Z][a-z]+[ \\t]+[A-Z][a-z]+(?:-[A-Z][a-z]+)?))(?:[ \\t]*\\(\\d{1,3}\\)"
             "|,[ \\t]+(?:a|an|our|my)[ \\t]+(?:\\d{1,3}[ -]?(?:year|yr)s?[ -]old[ \\t]+)?(?:lady|man"
             "|woman|gentleman|gent|patient|resident|boy|girl|child|baby|widow|widower|retired)\\b)",
     IS_NAME | NEED_CONTEXT, NULL, NULL},
    {"name", "(?-i:\\b(?:Mr|Mrs|Ms|Miss|Mx))\\.?[ \\t]+(" HNAME ")", IS_NAME | NEED_CONTEXT,
     NULL, NULL},
    /* "Mr Thompson's leg", "Mrs Garcia's wound": a body or a record of
     * someone named, a patient whatever the text around it. */
    {"name", "(?-i:\\b(?:Mr|Mrs|Ms|Miss|Mx))\\.?[ \\t]+(" HNAME ")['\u2019]s[ \\t]+(?:left[ \\t]+"
             "|right[ \\t]+)?(?:legs?|foot|feet|heels?|arms?|hands?|wounds?|ulcers?|skin|sacrum|back"
             "|hips?|knees?|toes?|head|face|chest|abdomen|stoma|scans?|results|bloods|notes|records"
             "|chart|medications?|dressings?|family|daughter|son|wife|husband|mother|father|carer"
             "|pressure|fracture|infection|cellulitis|diagnosis|admission|discharge|case)\\b",
     IS_NAME, NULL, NULL},
    {"name", "\\b(?:man|woman|lady|gentleman|gent|boy|girl|child|baby|infant|toddler|teenager"
             "|patient|pt|resident|client|chap|guy|fellow|person|someone)\\s+(?:called|named|by"
             "\\s+the\\s+name\\s+of)\\s+(" NAME ")",
     IS_NAME | NEED_CONTEXT, NULL, NULL},
    {"name", "\\b(?:his|her|their|(?:the\\s+)?patient['\u2019]s|pt['\u2019]s)\\s+(?:wife|husband|daughter|son|mother"
             "|father|mum|dad|partner|sister|brother|carer|grandson|granddaughter|niece|nephew"
             "|neighbou?r)\\s*,?\\s+(" NAME ")",
     IS_NAME | NEED_CONTEXT, NULL, NULL},
    {"name", "(?<![\\w.])((?-i:[A-Z][a-z]+[ \\t]+(?:[A-Z][a-z]+(?:-[A-Z][a-z]+)?|[A-Z]\\.)))"
             ",?[ \\t]+(?:aged[ \\t]+)?\\d{1,3}(?:[ \\t]*(?:yo|y/o|years?(?:[ \\t]+old)?|yrs?))?"
             "[ \\t]*,",
     IS_NAME | NEED_CONTEXT, NULL, NULL},
    {"name", "\\b(?:(?:patient|pt)(?:'s)?\\s+)?name\\s*[:=]\\s*(" NAME ")", IS_NAME | NEED_CONTEXT,
     NULL, NULL},
    /* Dates tied to a patient: next to an admission, discharge, birth or
     * visit, in a text about a patient. */
    {"date", "\\b" DATE_TRIGGER "\\b[^.\\n?!]{0,40}?\\b(" DATE ")", NEED_CONTEXT, NULL, NULL},
    /* A birth date identifies whatever the text around it. */
    {"date", "\\b(?:DOB|D\\.O\\.B\\.?|date\\s+of\\s+birth|born|birthday)\\b[^.\\n?!]{0,20}?\\b(" DATE ")",
     0, NULL, NULL},
    {"date", "(?<![\\w/.-])(" DATE ")[^.\\n?!]{0,30}?\\b(?:was|were|got|been|being|is)?\\s*"
             DATE_TRIGGER "\\b",
     NEED_CONTEXT, NULL, NULL},
    /* Ages over 89. */
    /* "93-year-old", "95yo": an age whatever the text around it. */
    {"age", "\\b(" OLD "[ \\t]*-?[ \\t]*(?:years?|yrs?|y)[ \\t]*-?[ \\t]*old\\b|" OLD
            "[ \\t]*(?:yo|y/o|y\\.o\\.?)(?![\\w]))", 0, NULL, NULL},
    {"age", "\\b(" OLD "[ \\t]*(?:yrs?|years?)(?![\\w])(?![ \\t]+(?:ago|of|since|later|in"
            "|at|on|before|after|from|to|experience|service|qualified|working|practi[cs]ing)\\b)"
            "|(?<!patients\\s|people\\s|those\\s|residents\\s|adults\\s)(?:aged?|age:)[ \\t]+" OLD
            "\\b(?![ \\t]*(?:\\+|and\\s+(?:over|older|above)|or\\s+(?:over|older|more|above)|plus"
            "|to\\s+\\d|-\\d))|" OLD "[ \\t]?(?-i:[MF])\\b)",
     NEED_CONTEXT, NULL, NULL},
    {"age", "\\b(?:she|he|patient|pt|who)(?:['\u2019]s|[ \\t]+is|[ \\t]+was|[ \\t]+turned)[ \\t]+(" OLD
            ")\\b(?![ \\t]*(?:%|mg|kg|mmol|bpm|per|/|\\.\\d|degrees|minutes|mins|hours|days|weeks))"
            "|\\b(?:lady|man|woman|gentleman|gent|patient|resident)[ \\t]+(?:of|aged)[ \\t]+(" OLD ")\\b",
     NEED_CONTEXT, NULL, NULL},
    /* Vehicle identifiers with a label. */
    {"vehicle", "\\b(?:licen[cs]e\\s+plate|number\\s+plate|plate\\s+(?:number|no\\.?)|vehicle"
                "\\s+registration|VIN)\\s*[:#]?\\s*((?-i:[A-Z0-9]{2,8}(?:[ -][A-Z0-9]{2,8})?))\\b",
     0, NULL, NULL},
    /* Record, account and plan numbers with a label. */
    {"mrn", "\\b(?:MRN|MR\\s?#|MR\\s?No\\.?|medical\\s+record(?:\\s+(?:number|no\\.?|#))?"
            "|(?:hospital|hosp\\.?|unit|case|chart|PAS|RTX|UR|CHI|NHI|episode|encounter|visit"
            "|account|acct\\.?|a/c|policy|insurance|member|subscriber|health\\s*plan|patient"
            "|pt|beneficiary|claim)\\s*(?:number|no\\.?|#|id)|URN|CHI|NHI|acct\\.?)\\s*[:#=.]?"
            "\\s*(?:is\\s+)?((?-i:[A-Z]{0,3})[-\\s]?\\d[\\d\\s/-]{3,16}\\d|\\d{5,})",
     0, NULL, NULL},
    /* Shaped like a record number, in a text about a patient. */
    {"mrn", "(?<![\\w./-])((?-i:[A-Z]{1,3})\\d{6,10}|0\\d{6,9})(?![\\w/-]|[.-]\\d)",
     NEED_CONTEXT | CASED, NULL, NULL},
    /* National and plan numbers with their own check rules. */
    {"nhs-number", "(?<![\\w./-])(\\d{3}[ ]\\d{3}[ ]\\d{4}|\\d{3}-\\d{3}-\\d{4}|\\d{10})"
                   "(?![\\w/-]|[.-]\\d)",
     0, NULL, NULL}, /* check and context decided in nhs_check() below */
    {"ssn", "(?<![\\w./-])(\\d{3}-\\d{2}-\\d{4}|(?<=SSN)[:#\\s]*\\d{9})(?![\\w/-]|[.-]\\d)", 0,
     NULL, NULL},
    {"mbi", "(?<![\\w-])([1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\\d-?[AC-HJKMNP-RT-Y]"
            "[AC-HJKMNP-RT-Y0-9]\\d-?[AC-HJKMNP-RT-Y]{2}\\d{2})(?![\\w-])",
     CASED, NULL, NULL},
    {"ni-number", "(?<![\\w-])((?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
                  "[ ]?\\d{2}[ ]?\\d{2}[ ]?\\d{2}[ ]?[A-D])(?![\\w-])",
     CASED, NULL, NULL},
    {"npi", "(?<![\\w./-])([12]\\d{9})(?![\\w/-]|\\.\\d)", 0, NULL, NULL},
    /* Contact details and addresses, in a text about a patient. */
    {"phone", "(?<![\\w.+/-])((?:\\+\\d{1,3}[ .-]?(?:\\(0\\)[ ]?)?)?(?:\\(\\d{2,5}\\)[ ]?|\\d{2,5}"
              "[ .-])\\d{3,4}[ .-]?\\d{3,4}|0\\d{10})(?![\\w-]|[./]\\d)",
     NEED_CONTEXT | CONTACT, NULL, NULL},
    {"email", "(?<![\\w.+-])([\\w.+-]+@[\\w-]+(?:\\.[\\w-]+)+)", NEED_CONTEXT | CONTACT, NULL,
     NULL},
    {"address", "(?<![\\w])(\\d{1,5}[A-Za-z]?,?[ \\t]+(?:[A-Z][A-Za-z'-]+[ \\t]+){1,3}(?:Street|St"
                "|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Close|Court|Ct|Way|Crescent|Cres|Place|Pl"
                "|Terrace|Boulevard|Blvd|Gardens|Grove|Square|Mews|Walk|Parade|Highway|Hwy)\\b)",
     NEED_CONTEXT | CONTACT | CASED, NULL, NULL},
    {"address", "(?<![\\w])((?:[A-PR-UWYZ][A-HK-Y]?\\d[A-Z\\d]?)[ ]?\\d[ABD-HJLNP-UW-Z]{2})"
                "(?![\\w])",
     NEED_CONTEXT | CONTACT | CASED, NULL, NULL},
    {"address", "(?<![\\w])((?:A[KLRZ]|C[AOT]|D[CE]|FL|GA|HI|I[ADLN]|K[SY]|LA|M[ADEINOST]"
                "|N[CDEHJMVY]|O[HKR]|PA|RI|S[CD]|T[NX]|UT|V[AT]|W[AIVY])[ ]+\\d{5}(?:-\\d{4})?)"
                "(?![\\w-])",
     NEED_CONTEXT | CONTACT | CASED, NULL, NULL},
    {"ip", "(?<![\\w.])((?:(?:25[0-5]|2[0-4]\\d|1?\\d?\\d)\\.){3}(?:25[0-5]|2[0-4]\\d|1?\\d?\\d))"
           "(?![\\w]|\\.\\d)",
     NEED_CONTEXT | CONTACT, NULL, NULL},
    {"serial", "\\b(?:serial(?:\\s+(?:number|no\\.?|#))?|s/n|imei|udi|device\\s+(?:id|number))"
               "\\s*[:#]?\\s*((?=[A-Z0-9-]*\\d)[A-Z0-9][A-Z0-9-]{4,})",
     NEED_CONTEXT, NULL, NULL},
};

/* Clinical words: a text about a patient. */
static const char CONTEXT_RE[] =
    "\\b(?:(?-i:pts?|Pts?|GPs?|A&E|ICU|ITU|DOB|NOK|INR|HbA1c|CT|MRI|MRN|NHS|UTI|COPD|NPWT|COVID"
    "|DNACPR|obs|mg|mmol|yo)|y/o|patients?|admitted|admission|discharged|ward|diagnos\\w*"
    "|presented|presenting|symptoms?|wound|ulcers?|fracture|dementia|medications?|surgery|post-?op"
    "|clinic|nurse|nursing|care\\s+home|hospice|palliative|hospital|year-old|next\\s+of\\s+kin"
    "|carer|referral|referred|consultant|infection|sepsis|biopsy|cancer|tumou?r|stroke|diabet\\w+"
    "|insulin|dialysis|pacemaker|implant(?:ed|s)?|defibrillator|catheter|ambulance|paramedic"
    "|prescribed|antibiotics?|physio\\w*|clinical|bloods|x-ray|resus|inpatient|outpatient"
    "|bed\\s+\\d+|bay\\s+\\d+|medicare|medicaid|chemo\\w*|radiotherapy|pressure\\s+sore"
    "|cellulitis|pneumonia|asthma|heart\\s+failure|delirium|frailty|oedema|edema|renal"
    "|hepatic|an(?:a)?emia|seizures?|epilep\\w+|arthritis|amputation|gangrene|dressings?"
    "|analgesia|morphine|opioids?|paracetamol|warfarin|anticoagula\\w+|hypertension"
    "|dysphagia|incontinen\\w+|ulceration|necrosis|osteomyelitis|wheelchair|hoist|frail"
    "|nurses|doctors|chronic|acute|abscess|lesions?|debridement|district\\s+nurs\\w+)\\b";

/* Common capitalised words that follow "patient" or "Mr" without being a
 * name.  Our own list, under the project's licence. */
static const char *const STOP_WORDS[] = {
    "A", "About", "Access", "Advice", "Advocacy", "After", "Again", "All", "Also", "An", "And",
    "Any", "Are", "As", "At", "Bay", "Bed", "Before", "Being", "Both", "But", "By", "Can",
    "Care", "Centre", "Center", "Charter", "Choice", "Clinic", "Complaints", "Consent",
    "Council", "Could", "Day", "Did", "Does", "Doctor", "Dr", "During", "Each", "Education",
    "Even", "Every", "Experience", "Feedback", "First", "Flow", "For", "Forum", "From",
    "Group", "Groups", "Had", "Has", "Have", "He", "Her", "Here", "His", "Hospital", "How",
    "However", "I", "If", "In", "Information", "Is", "It", "Its", "Journey", "Just", "Last",
    "Leaflet", "Liaison", "List", "Many", "May", "Monday", "Tuesday", "Wednesday",
    "Thursday", "Friday", "Saturday", "Sunday", "More", "Most", "My", "Next", "No", "Not",
    "Notes", "Now", "Nurse", "Of", "On", "One", "Only", "Or", "Other", "Our", "Outcome",
    "Outcomes", "Panel", "Participation", "Partners", "Pathway", "Please", "Portal", "Record",
    "Records", "Reported", "Rights", "Room", "Safety", "Satisfaction", "Second", "Services",
    "She", "Should", "Since", "So", "Some", "Still", "Stories", "Story", "Survey", "Team",
    "Than", "Thanks", "That", "The", "Their", "Then", "There", "These", "They", "This",
    "Those", "Though", "Three", "To", "Today", "Tomorrow", "Transport", "Two", "Unknown",
    "Voice", "Was", "We", "Were", "What", "When", "Where", "Which", "While", "Who", "Why",
    "Will", "With", "Without", "Would", "Yes", "Yesterday", "You", "Your", "Zero", "Anon",
    "Anonymous", "Ward", "Unit", "Number", "Name", "Details", "Label", "Labels", "Leaflets",
    "Info", "Guide", "Guidance", "Handbook", "Support", "Network", "Association", "Society",
    "Ombudsman", "Champion", "Champions", "Representative", "Involvement", "Engagement",
    "Insight", "Data", "Identifiable", "Identifier", "Identifiers", "Level", "Levels",
    "Workshop", "Questionnaire", "Reference", "Relations", "Admin", "Administration", "Case",
    "Cases", "Plan", "Plans", "Assessment", "Management", "Monitoring", "Controlled",
    "Analgesia", "Specific", "Directions", "Direction", "Group", "Held", "Facing", "Centred",
    "Centered", "First", "Led", "Initiated", "Recorded", "Family", "Families", "Home",
    "Jan", "January", "Feb", "February", "March", "April", "June", "July", "August", "Sept",
    "September", "October", "November", "December", "Dec", "Nov", "Oct", "Aug",
    "Consultant", "Surgeon", "Registrar", "Sister", "Matron", "Manager", "Lead", "Director",
    NULL};

/* Eponyms and scale names: a name that is a disease, sign, score or
 * procedure.  Our own list, under the project's licence. */
static const char *const EPONYMS[] = {
    "Addison", "Alport", "Alvarado", "Alzheimer", "Angelman", "Apgar", "Asperger", "Babinski",
    "Barrett", "Barthel", "Bartter", "Behcet", "Bell", "Bence", "Berger", "Billroth",
    "Blatchford", "Boerhaave", "Braden", "Breslow", "Broca", "Brugada", "Buerger", "Burkitt",
    "Caldicott", "Centor", "Charcot", "Cheyne", "Chiari", "Child", "Chvostek", "Colles", "Conn",
    "Cormack", "Creutzfeldt", "Crohn", "Cullen", "Cushing", "Dandy", "Danlos", "DiGeorge",
    "Dix", "Doppler", "Down", "Dukes", "Dupuytren", "Ebstein", "Edwards", "Ehlers",
    "Eisenmenger", "Epley", "Epworth", "Erb", "Ewing", "Fabry", "Fallot", "Fanconi",
    "Finkelstein", "Foley", "Fontaine", "Fraser", "Galeazzi", "Ganz", "Gardner", "Gaucher",
    "Gilbert", "Gillick", "Gitelman", "Glasgow", "Gleason", "Goodpasture", "Graves",
    "Guillain", "Gustilo", "Hallpike", "Hartmann", "Hashimoto", "Heimlich", "Hickman",
    "Hirschsprung", "Hodgkin", "Holter", "Horner", "Huntington", "Hurler", "Jakob",
    "Kallmann", "Kaposi", "Kawasaki", "Kernig", "Killip", "Klinefelter", "Korotkoff",
    "Korsakoff", "Krukenberg", "Kussmaul", "Lachman", "Lambert", "Langerhans", "Lewy",
    "Liddle", "Lund", "Lyme", "Lynch", "Mallampati", "Mallory", "Marfan", "McBurney",
    "McMurray", "Meckel", "Meniere", "Merkel", "Mobitz", "Monteggia", "Munchausen", "Murphy",
    "Nissen", "Niemann", "Norton", "Osgood", "Osler", "Paget", "Pancoast", "Papanicolaou",
    "Parkinson", "Parkland", "Patau", "Perthes", "Peutz", "Peyronie", "Pfannenstiel",
    "Phalen", "Pompe", "Prader", "Pugh", "Ranson", "Raynaud", "Reiter", "Rendu", "Rett",
    "Reye", "Rinne", "Rockall", "Romberg", "Roux", "Rovsing", "Rutherford", "Salter",
    "Schlatter", "Seldinger", "Sheehan", "Sjogren", "Snellen", "Stokes", "Sturge", "Swan",
    "Takayasu", "Tinel", "Todd", "Tourette", "Trendelenburg", "Trousseau", "Turner",
    "Valsalva", "Virchow", "Waldenstrom", "Waterlow", "Wegener", "Wells", "Wenckebach",
    "Wernicke", "Whipple", "Willebrand", "Wilms", "Wilson", "Wolff", "Zollinger", NULL};

/* Words that make the name before them an eponym ("Bell palsy"). */
static const char EPONYM_AFTER_RE[] =
    "^(?:['\u2019]s?)?\\s+(?:disease|syndrome|sign|signs|test|score|scale|criteria|classification"
    "|fracture|procedure|operation|manoeuvre|maneuver|catheter|tube|line|reflex|triad|law|rule"
    "|rules|ulcer|palsy|phenomenon|disorder|lymphoma|sarcoma|tumou?r|node|esophagus"
    "|oesophagus|competence|guardian|principles?|grade|stage|index|method|position|technique"
    "|repair|pouch|incision|chart|tool|questionnaire|staging|type|dementia|ataxia|chorea)\\b";

/* What follows a colleague's name, not a patient's ("Mr Khan from
 * vascular surgery", "Mrs Lee, consultant"). */
static const char STAFF_AFTER_RE[] =
    "^(?:[^.\\n]{0,30}?\\b(?:surgeon|consultant|registrar|surgery\\s+team|colleague|matron|physician"
    "|specialist|from\\s+(?:the\\s+)?\\w+\\s+(?:surgery|team|department|dept|unit|service|medicine))"
    "|['\u2019]s\\s+(?:question|post|reply|email|e-mail|message|comment|point|suggestion|talk"
    "|lecture|paper|team|clinic|list|advice|idea|slides))\\b";
/* A title right before "Mr"/"Mrs": a colleague ("the ward manager Ms
 * Green", "consultant Mr Khan"). */
static const char STAFF_BEFORE_RE[] =
    "\\b(?:manager|consultant|surgeon|matron|colleague|registrar|director|lead|specialist"
    "|physician|professor|chair|secretary|ward\\s+sister)[ \\t]*,?[ \\t]+(?:Mr|Mrs|Ms|Miss|Mx)\\.?"
    "[ \\t]+$";

/* The author's own number or address given in the text ("call me on",
 * "my mobile is", "our team inbox"). */
static const char OWN_CONTACT_RE[] =
    "\\b(?:(?:call|ring|text|phone|reach|contact|email|e-mail|mail|message|bleep)\\s+(?:me|us)"
    "|(?:me|us)\\s+(?:on|at)|our\\s+(?:team|office|clinic|ward|unit|service|department|inbox)|my\\s+(?:mobile"
    "|phone|number|email|e-mail|office|desk|extension|direct\\s+line|bleep|address)|i['\u2019]m\\s+on"
    "|i\\s+am\\s+on)\\b[^\\n]{0,25}$";

/* A line of a quoted message's header block or attribution. */
static const char HEADER_LINE_RE[] =
    "^[\\s>*]*(?:from|to|cc|bcc|sent|date|reply-to|de|von|an|para|envoy\u00e9|\u00e0|da|a)\\s*:"
    "|\\b(?:wrote|writes|schrieb|a\\s+\u00e9crit|escribi\u00f3|ha\\s+scritto|schreef)\\s*:?\\s*$"
    "|^[\\s>]*(?:on|am|le|el|il|op)\\s+(?:\\w{3,9},?\\s+)?\\d{1,4}[\\s/.-]";

static pcre2_code *context_re;
static pcre2_code *header_line_re;
static pcre2_code *own_contact_re;
static pcre2_code *staff_after_re;
static pcre2_code *staff_before_re;
static pcre2_code *eponym_after_re;
static pcre2_code *contact_label_re;
static pcre2_code *signoff_re;

static const char CONTACT_LABEL_RE[] =
    "^\\s*(?:tel|telephone|phone|ph|mob|mobile|cell|fax|e-?mail|bleep|pager|ext|direct\\s+line"
    "|switchboard|dr|prof|professor|consultant|nurse|sister|specialist|manager|director|lead"
    "|rn|md|department|dept|www\\.|https?:|address)\\b";
static const char SIGNOFF_RE[] =
    "^\\s*(?:thanks|thank\\s+you|many\\s+thanks|best|best\\s+wishes|kind\\s+regards|regards"
    "|warm\\s+regards|cheers|sincerely|yours(?:\\s+sincerely|\\s+faithfully)?|all\\s+the\\s+best"
    "|with\\s+thanks)\\s*[,.!]?\\s*$";

static pcre2_code *
compile(const char *pattern, gboolean cased)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
	                               PCRE2_UTF | (cased ? 0 : PCRE2_CASELESS), &code, &off, NULL);

	if (re == NULL) {
		PCRE2_UCHAR msg[256];

		pcre2_get_error_message(code, msg, sizeof msg);
		g_error("screen: pattern error at %zu: %s: %s", (size_t)off, msg, pattern);
	}
	/* Valgrind cannot follow JIT code (every match would be reported
	 * as a use of uninitialised memory): tests/valgrind-rounds.sh sets
	 * ROUNDS_NO_JIT, and the patterns are then interpreted. */
	if (g_getenv("ROUNDS_NO_JIT") == NULL)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	return re;
}

static void
screen_init(void)
{
	static gsize done;

	if (!g_once_init_enter(&done))
		return;
	for (gsize i = 0; i < G_N_ELEMENTS(RULES); i++)
		RULES[i].re = compile(RULES[i].pattern, (RULES[i].flags & CASED) != 0);
	context_re = compile(CONTEXT_RE, FALSE);
	eponym_after_re = compile(EPONYM_AFTER_RE, FALSE);
	staff_after_re = compile(STAFF_AFTER_RE, FALSE);
	own_contact_re = compile(OWN_CONTACT_RE, FALSE);
	header_line_re = compile(HEADER_LINE_RE, FALSE);
	staff_before_re = compile(STAFF_BEFORE_RE, FALSE);
	contact_label_re = compile(CONTACT_LABEL_RE, FALSE);
	signoff_re = compile(SIGNOFF_RE, FALSE);
	g_once_init_leave(&done, 1);
}

/* ---- check rules ---- */

static gboolean
digits_of(const char *s, gsize len, char *out, gsize want)
{
	gsize n = 0;

	for (gsize i = 0; i < len; i++) {
		if (g_ascii_isdigit(s[i])) {
			if (n == want)
				return FALSE;
			out[n++] = s[i];
		}
	}
	return n == want;
}

/* NHS number: ten digits, the last a mod 11 check of the first nine
 * weighted 10..2; a remainder giving 10 is never issued. */
static gboolean
nhs_valid(const char *s, gsize len)
{
	char d[10];
	int sum = 0, check;

	if (!digits_of(s, len, d, 10))
		return FALSE;
	for (int i = 0; i < 9; i++)
		sum += (d[i] - '0') * (10 - i);
	check = 11 - sum % 11;
	if (check == 11)
		check = 0;
	return check != 10 && check == d[9] - '0';
}

/* US SSN: area not 000, 666 or 900-999; group not 00; serial not 0000. */
static gboolean
ssn_valid(const char *s, gsize len)
{
	char d[9];
	int area, group, serial;

	if (!digits_of(s, len, d, 9))
		return FALSE;
	area = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	group = (d[3] - '0') * 10 + (d[4] - '0');
	serial = (d[5] - '0') * 1000 + (d[6] - '0') * 100 + (d[7] - '0') * 10 + (d[8] - '0');
	return area != 0 && area != 666 && area < 900 && group != 0 && serial != 0;
}

/* NPI: Luhn over "80840" followed by the ten digits. */
static gboolean
npi_valid(const char *s, gsize len)
{
	char d[16] = "80840";
	int sum = 0;

	if (!digits_of(s, len, d + 5, 10))
		return FALSE;
	for (int i = 14, pos = 0; i >= 0; i--, pos++) {
		int v = d[i] - '0';

		if (pos % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

/* ---- helpers ---- */

char *
rd_screen_mask(const char *text, gssize len)
{
	GString *out = g_string_new(NULL);
	const char *p = text, *end;
	gboolean in_word = FALSE;

	if (len < 0)
		len = (gssize)strlen(text);
	end = text + len;
	while (p < end) {
		gunichar c = g_utf8_get_char_validated(p, end - p);
		const char *next = g_utf8_find_next_char(p, end);

		if (next == NULL)
			next = end;
		if (c != (gunichar)-1 && c != (gunichar)-2 && g_unichar_isalnum(c)) {
			if (in_word)
				g_string_append_c(out, '*');
			else
				g_string_append_len(out, p, next - p);
			in_word = TRUE;
		} else {
			g_string_append_len(out, p, next - p);
			in_word = FALSE;
		}
		p = next;
	}
	return g_string_free(out, FALSE);
}

void
rd_screen_finding_free(rd_screen_finding *f)
{
	if (f == NULL)
		return;
	g_free(f->masked);
	g_free(f->context);
	g_free(f->where);
	g_free(f);
}

static gboolean
in_list(const char *const *list, const char *word, gsize len)
{
	for (gsize i = 0; list != NULL && list[i] != NULL; i++)
		if (strlen(list[i]) == len && g_ascii_strncasecmp(list[i], word, len) == 0)
			return TRUE;
	return FALSE;
}

/* Is any word of the allowlist entries equal to a word of S, or an entry
 * equal to S as a whole? */
static gboolean
allowed(const rd_screen_opts *o, const char *s, gsize len, gboolean by_word)
{
	if (o == NULL || o->allow == NULL)
		return FALSE;
	for (gsize i = 0; o->allow[i] != NULL; i++) {
		const char *a = o->allow[i];

		if (strlen(a) == len && g_ascii_strncasecmp(a, s, len) == 0)
			return TRUE;
	}
	if (!by_word)
		return FALSE;
	/* A name is allowed when one of its words (not an initial) is a word
	 * of an allowed name: members are called by either name. */
	for (const char *p = s; p < s + len;) {
		const char *w = p;
		gsize wl;

		while (p < s + len && (g_ascii_isalpha(*p) || (guchar)*p >= 0x80 || *p == '\'' ||
		                       *p == '-'))
			p++;
		wl = p - w;
		if (wl >= 2) {
			for (gsize i = 0; o->allow[i] != NULL; i++) {
				g_auto(GStrv) words = g_regex_split_simple("[\\s,.@]+", o->allow[i], 0, 0);

				if (in_list((const char *const *)words, w, wl))
					return TRUE;
			}
		}
		if (p == w)
			p++;
	}
	return FALSE;
}

static gboolean
match_at(pcre2_code *re, const char *s, gsize len, gsize from, pcre2_match_data *md)
{
	return pcre2_match(re, (PCRE2_SPTR)s, len, from, PCRE2_NO_UTF_CHECK, md, NULL) >= 0;
}

/* A line mostly in Title Case (a subject, a heading): capitalised words
 * there say nothing about names. */
static gboolean
title_case_line(const char *text, gsize len, gsize at)
{
	gsize a = at, b = at;
	int words = 0, caps = 0;

	while (a > 0 && text[a - 1] != '\n')
		a--;
	while (b < len && text[b] != '\n')
		b++;
	/* Words of four letters or more, not counting the first of each
	 * sentence, which is capitalised anyway. */
	for (gsize i = a, sentence = TRUE; i < b; i++) {
		if (g_ascii_isalpha(text[i]) && (i == a || !g_ascii_isalnum(text[i - 1]))) {
			gsize j = i;

			while (j < b && g_ascii_isalpha(text[j]))
				j++;
			if (j - i > 3 && !sentence) {
				words++;
				caps += g_ascii_isupper(text[i]) != 0;
			}
			sentence = FALSE;
			i = j - 1;
		} else if (strchr(".?!:", text[i]) != NULL) {
			sentence = TRUE;
		}
	}
	return words >= 3 && caps * 10 >= words * 8;
}

/* Where the author's own contact block starts (LEN when there is none):
 * the lines after a sign-off near the end, or a last paragraph of at most
 * eight short lines that names the author or carries contact labels. */
static gsize
contact_start(const char *text, gsize len, const rd_screen_opts *o, pcre2_match_data *md)
{
	gsize end = len, p, para;
	int lines = 0;
	gboolean labelled = FALSE, long_line = FALSE;
	g_autoptr(GPtrArray) starts = g_ptr_array_new();

	while (end > 0 && g_ascii_isspace(text[end - 1]))
		end--;
	/* Line starts, from the end, at most 12. */
	p = end;
	while (p > 0 && starts->len < 12) {
		gsize a = p;

		while (a > 0 && text[a - 1] != '\n')
			a--;
		g_ptr_array_add(starts, GSIZE_TO_POINTER(a));
		if (a == 0)
			break;
		p = a - 1;
	}
	/* A sign-off line among the last twelve: what follows is the block. */
	for (guint i = 0; i < starts->len; i++) {
		gsize a = GPOINTER_TO_SIZE(starts->pdata[i]), b = a;

		while (b < len && text[b] != '\n')
			b++;
		if (b - a < 40 && pcre2_match(signoff_re, (PCRE2_SPTR)text + a, b - a, 0,
		                              PCRE2_NO_UTF_CHECK, md, NULL) >= 0)
			return a;
	}
	/* The last paragraph. */
	para = end;
	while (para > 0) {
		gsize a = para;

		while (a > 0 && text[a - 1] != '\n')
			a--;
		{
			gsize b = a;
			gboolean blank = TRUE;

			while (b < len && text[b] != '\n') {
				if (!g_ascii_isspace(text[b]))
					blank = FALSE;
				b++;
			}
			if (blank && b < end)
				break;
			lines++;
			if (b - a > 80)
				long_line = TRUE;
			if (pcre2_match(contact_label_re, (PCRE2_SPTR)text + a, b - a, 0,
			                PCRE2_NO_UTF_CHECK, md, NULL) >= 0)
				labelled = TRUE;
			if (o != NULL && o->author_name != NULL && strlen(o->author_name) > 2 &&
			    g_strstr_len(text + a, b - a, o->author_name) != NULL)
				labelled = TRUE;
			if (o != NULL && o->author_addr != NULL && *o->author_addr &&
			    g_strstr_len(text + a, b - a, o->author_addr) != NULL)
				labelled = TRUE;
		}
		para = a;
		if (a == 0)
			break;
		para = a - 1;
		if (para > 0 && text[para - 1] == '\n')
			break;
	}
	while (para < end && g_ascii_isspace(text[para]))
		para++;
	if (lines > 0 && lines <= 8 && !long_line && labelled && para > 0)
		return para;
	return len;
}

/* Where the signature starts (trim.c), LEN when there is none: only a
 * signature is left out, never a quote or a forward, which may carry a
 * record pasted from elsewhere. */
static gsize
signature_start(const char *text, gsize len)
{
	g_autofree char *copy = g_strndup(text, len);
	g_autofree char *elided = NULL;
	g_autofree char *kept = rd_trim_text(copy, NULL, &elided);
	const char *at, *e;

	if (elided == NULL || *elided == '\0' || *kept == '\0')
		return len;
	e = elided;
	while (*e && g_ascii_isspace(*e))
		e++;
	if (!(g_str_has_prefix(e, "--") || g_str_has_prefix(e, "__") ||
	      g_str_has_prefix(e, "\u2014") || g_str_has_prefix(e, "Sent from")))
		return len;
	at = g_strstr_len(copy, len, kept);
	if (at == NULL)
		return len;
	return (gsize)(at - copy) + strlen(kept);
}

static gboolean
has_context(const GArray *ctx, gsize s, gsize e)
{
	for (guint i = 0; i < ctx->len; i += 2) {
		gsize cs = g_array_index(ctx, gsize, i), ce = g_array_index(ctx, gsize, i + 1);

		if (ce + CONTEXT_WINDOW < s)
			continue;
		if (cs > e + CONTEXT_WINDOW)
			break;
		if (ce <= s || cs >= e)
			return TRUE;
	}
	return FALSE;
}

/* The line around finding F (at most 60 bytes each side) with every
 * finding in it masked, so that a notice never shows an identifier. */
static char *
context_of(const char *text, gsize len, const GPtrArray *found, const rd_screen_finding *f)
{
	gsize a = f->start, b = f->end, at;
	GString *out;

	while (a > 0 && f->start - a < 60 && text[a - 1] != '\n')
		a--;
	while (b < len && b - f->end < 60 && text[b] != '\n')
		b++;
	while (a < f->start && (text[a] & 0xc0) == 0x80)
		a++;
	while (b > f->end && b < len && (text[b] & 0xc0) == 0x80)
		b--;
	out = g_string_new(NULL);
	if (a > 0 && text[a - 1] != '\n')
		g_string_append(out, "...");
	at = a;
	for (guint i = 0; i < found->len; i++) {
		const rd_screen_finding *g = found->pdata[i];
		gsize s = MAX(g->start, at), e = MIN(g->end, b);

		if (g->end <= at || g->start >= b || s >= e)
			continue;
		g_string_append_len(out, text + at, s - at);
		{
			g_autofree char *m = rd_screen_mask(text + s, e - s);

			g_string_append(out, m);
		}
		at = e;
	}
	g_string_append_len(out, text + at, b - at);
	if (b < len && text[b] != '\n')
		g_string_append(out, "...");
	return g_string_free(out, FALSE);
}

/* Is the name at [S,E) not one: a stop word, an eponym, a word the
 * community allows? */
static gboolean
name_excused(const char *text, gsize len, gsize s, gsize e, const rd_screen_opts *o,
             pcre2_match_data *md)
{
	gsize w = s;

	while (w < e && (g_ascii_isalpha(text[w]) || (guchar)text[w] >= 0x80))
		w++;
	if (in_list(STOP_WORDS, text + s, w - s))
		return TRUE;
	for (gsize p = s; p < e;) {
		gsize q = p;

		while (q < e && g_ascii_isalpha(text[q]))
			q++;
		if (q > p && in_list(EPONYMS, text + p, q - p))
			return TRUE;
		p = q > p ? q : p + 1;
	}
	if (pcre2_match(eponym_after_re, (PCRE2_SPTR)text + e, len - e, 0, PCRE2_NO_UTF_CHECK, md,
	                NULL) >= 0 ||
	    pcre2_match(staff_after_re, (PCRE2_SPTR)text + e, len - e, 0, PCRE2_NO_UTF_CHECK, md,
	                NULL) >= 0)
		return TRUE;
	{
		gsize from = s > 60 ? s - 60 : 0;

		while (from < s && (text[from] & 0xc0) == 0x80)
			from++;
		if (pcre2_match(staff_before_re, (PCRE2_SPTR)text + from, s - from, 0,
		                PCRE2_NO_UTF_CHECK, md, NULL) >= 0)
			return TRUE;
	}
	return allowed(o, text + s, e - s, TRUE);
}

/* Is the contact detail at S the author's own ("call me on ..."), or in
 * a quoted message's attribution or header block ("On ... wrote:",
 * "From: ...")?  Those name the list's own people. */
static gboolean
own_contact(const char *text, gsize len, gsize s, pcre2_match_data *md)
{
	gsize a = s, b = s;

	while (a > 0 && text[a - 1] != '\n')
		a--;
	while (b < len && text[b] != '\n')
		b++;
	if (pcre2_match(header_line_re, (PCRE2_SPTR)text + a, b - a, 0, PCRE2_NO_UTF_CHECK, md,
	                NULL) >= 0)
		return TRUE;
	gsize from = s > 50 ? s - 50 : 0;

	while (from < s && (text[from] & 0xc0) == 0x80)
		from++;
	return pcre2_match(own_contact_re, (PCRE2_SPTR)text + from, s - from, 0, PCRE2_NO_UTF_CHECK,
	                   md, NULL) >= 0;
}

/* A shared mailbox of a team, not a person's ("tv.team@", "referrals@"). */
static gboolean
role_address(const char *s, gsize len)
{
	static const char *const roles[] = {"team", "ward", "admin", "office", "clinic", "referral",
	                                    "info", "enquir", "contact", "support", "secretar",
	                                    "dept", "service", "noreply", "no-reply", "list",
	                                    "help", "booking", "appointments", NULL};
	const char *at = memchr(s, '@', len);
	g_autofree char *local = g_ascii_strdown(s, at ? at - s : (gssize)len);

	for (gsize i = 0; roles[i] != NULL; i++)
		if (strstr(local, roles[i]) != NULL)
			return TRUE;
	return FALSE;
}

static gint
finding_cmp(gconstpointer a, gconstpointer b)
{
	const rd_screen_finding *x = *(rd_screen_finding *const *)a;
	const rd_screen_finding *y = *(rd_screen_finding *const *)b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
}

/* Findings of number rules that need more than a shape. */
static gboolean
number_ok(const rule *r, const char *text, gsize s, gsize e, gboolean ctx)
{
	const char *m = text + s;
	gsize n = e - s;

	if (strcmp(r->kind, "nhs-number") == 0) {
		if (!nhs_valid(m, n))
			return FALSE;
		/* Spaced 3-3-4 is how NHS numbers are written; other shapes
		 * (a US phone, ten bare digits) count only with a label or in
		 * a text about a patient. */
		if (memchr(m, ' ', n) != NULL)
			return TRUE;
		return ctx || (s >= 4 && g_ascii_strncasecmp(text + (s > 12 ? s - 12 : 0), "NHS", 3) ==
		                             0) ||
		       g_strstr_len(text + (s > 16 ? s - 16 : 0), s > 16 ? 16 : s, "NHS") != NULL;
	}
	if (strcmp(r->kind, "ssn") == 0)
		return ssn_valid(m, n);
	if (strcmp(r->kind, "npi") == 0)
		return npi_valid(m, n) &&
		       (ctx || g_strstr_len(text + (s > 16 ? s - 16 : 0), s > 16 ? 16 : s, "NPI") != NULL);
	return TRUE;
}

GPtrArray *
rd_screen_text(const char *text, gssize slen, const rd_screen_opts *o)
{
	GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)rd_screen_finding_free);
	g_autofree char *valid = NULL;
	g_autoptr(GArray) ctx = g_array_new(FALSE, FALSE, sizeof(gsize));
	pcre2_match_data *md;
	gsize len, sig, contact;

	screen_init();
	if (text == NULL)
		return out;
	len = slen < 0 ? strlen(text) : (gsize)slen;
	if (!g_utf8_validate_len(text, len, NULL)) {
		/* Invalid bytes are replaced by U+FFFD (three bytes), which would
		 * move every offset: such texts are screened as repaired. */
		valid = g_utf8_make_valid(text, len);
		text = valid;
		len = strlen(valid);
	}
	md = pcre2_match_data_create(16, NULL);
	sig = signature_start(text, len);
	contact = contact_start(text, sig, o, md);

	for (gsize from = 0; from < len && match_at(context_re, text, len, from, md);) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		gsize a = ov[0], b = ov[1];

		g_array_append_val(ctx, a);
		g_array_append_val(ctx, b);
		from = b > a ? b : a + 1;
	}

	for (gsize i = 0; i < G_N_ELEMENTS(RULES); i++) {
		const rule *r = &RULES[i];

		for (gsize from = 0; from < len && match_at(r->re, text, len, from, md);) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
			gsize ms = ov[0], me = ov[1];
			gsize s = ov[2] != PCRE2_UNSET ? ov[2] : ms, e = ov[2] != PCRE2_UNSET ? ov[3] : me;
			gboolean ctx_ok;
			rd_screen_finding *f;

			from = me > ms ? me : ms + 1;
			/* Context outside the finding: for a name, outside the
			 * whole match ("pt" is no context for the name after it);
			 * for a date or an age its clinical trigger ("admitted",
			 * "year-old") counts. */
			ctx_ok = (r->flags & IS_NAME) ? has_context(ctx, ms, me) : has_context(ctx, s, e);
			if ((r->flags & NEED_CONTEXT) && !ctx_ok)
				continue;
			if ((r->flags & (CONTACT | IS_NAME)) && s >= contact)
				continue;
			if (s >= sig && strcmp(r->kind, "date") != 0 && strcmp(r->kind, "age") != 0 &&
			    strcmp(r->kind, "mrn") != 0)
				continue;
			if (!number_ok(r, text, s, e, ctx_ok))
				continue;
			if ((r->flags & CONTACT) && own_contact(text, len, s, md))
				continue;
			if ((r->flags & IS_NAME) &&
			    (name_excused(text, len, s, e, o, md) || title_case_line(text, len, s)))
				continue;
			if (!(r->flags & IS_NAME) && allowed(o, text + s, e - s, FALSE))
				continue;
			if (strcmp(r->kind, "email") == 0 &&
			    (role_address(text + s, e - s) ||
			     (o != NULL && o->author_addr != NULL &&
			      g_ascii_strncasecmp(o->author_addr, text + s, e - s) == 0)))
				continue;
			f = g_new0(rd_screen_finding, 1);
			f->kind = r->kind;
			f->start = s;
			f->end = e;
			f->masked = rd_screen_mask(text + s, e - s);
			g_ptr_array_add(out, f);
		}
	}
	pcre2_match_data_free(md);
	g_ptr_array_sort(out, finding_cmp);
	/* One finding per place: a span inside an earlier one goes. */
	for (guint i = 1; i < out->len;) {
		rd_screen_finding *prev = out->pdata[i - 1], *f = out->pdata[i];

		if (f->start < prev->end)
			g_ptr_array_remove_index(out, i);
		else
			i++;
	}
	for (guint i = 0; i < out->len; i++) {
		rd_screen_finding *f = out->pdata[i];

		f->context = context_of(text, len, out, f);
	}
	return out;
}

static void
add_where(GPtrArray *all, GPtrArray *found, const char *where)
{
	for (guint i = 0; i < found->len; i++) {
		rd_screen_finding *f = found->pdata[i];

		f->where = g_strdup(where);
		g_ptr_array_add(all, g_steal_pointer(&found->pdata[i]));
	}
	g_ptr_array_set_free_func(found, NULL);
}

/* The text of a text attachment, decoded, at most ATTACHMENT_MAX bytes. */
static char *
part_text(GMimePart *part)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	g_autoptr(GMimeStream) mem = NULL;
	GByteArray *bytes;
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));

	if (w == NULL)
		return NULL;
	mem = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(w, mem) < 0)
		return NULL;
	bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
	return rd_message_to_utf8((const char *)bytes->data, MIN(bytes->len, ATTACHMENT_MAX),
	                          g_mime_content_type_get_parameter(ct, "charset"));
}

GPtrArray *
rd_screen_message(const rd_message *m, const rd_screen_opts *o)
{
	GPtrArray *all = g_ptr_array_new_with_free_func((GDestroyNotify)rd_screen_finding_free);
	g_autoptr(GPtrArray) parts = NULL;

	if (m->subject != NULL && *m->subject) {
		g_autoptr(GPtrArray) f = rd_screen_text(m->subject, -1, o);

		add_where(all, f, "subject");
	}
	if (m->body != NULL && *m->body) {
		g_autoptr(GPtrArray) f = rd_screen_text(m->body, -1, o);

		add_where(all, f, "text");
	} else if (m->body_html != NULL) {
		g_autofree char *t = rd_html_to_text(m->body_html, -1);
		g_autoptr(GPtrArray) f = rd_screen_text(t, -1, o);

		add_where(all, f, "text");
	}
	if (m->mime == NULL)
		return all;
	parts = rd_message_own_parts(m);
	for (guint i = 0; i < parts->len; i++) {
		GMimeObject *obj = parts->pdata[i];
		GMimeContentType *ct;
		const char *name;
		g_autofree char *where = NULL;

		if (!GMIME_IS_PART(obj))
			continue;
		name = g_mime_part_get_filename(GMIME_PART(obj));
		where = g_strdup_printf("attachment %s", name ? name : "(no name)");
		if (name != NULL) {
			g_autoptr(GPtrArray) f = rd_screen_text(name, -1, o);

			add_where(all, f, where);
		}
		ct = g_mime_object_get_content_type(obj);
		if (g_mime_content_type_is_type(ct, "text", "*")) {
			g_autofree char *t = part_text(GMIME_PART(obj));
			g_autofree char *plain = NULL;
			g_autoptr(GPtrArray) f = NULL;

			if (t == NULL)
				continue;
			if (g_mime_content_type_is_type(ct, "text", "html"))
				plain = rd_html_to_text(t, -1);
			f = rd_screen_text(plain ? plain : t, -1, o);
			add_where(all, f, where);
		}
	}
	return all;
}
