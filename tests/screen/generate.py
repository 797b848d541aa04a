#!/usr/bin/env python3
# tests/screen/generate.py - writes phi.txt and clean.txt, the synthetic
# clinical posts tests/t-screen.sh measures screening with.
#
# Everything here is our own invented text (same licence as Rounds): no
# real patient, no real number.  Identifier-bearing posts are built from
# many sentence shapes, each carrying one labelled identifier kind; the
# PHI-free posts are clinical questions with the things that look like
# identifiers but are not (eponyms, scale names, bare years, doses, lab
# values, meeting dates, hospital names, signatures with the author's own
# phone).  Run: python3 tests/screen/generate.py (deterministic seed).
import random

r = random.Random(19)
FIRST = ["Maria", "John", "Aisha", "Tom", "Grace", "Peter", "Fatima", "George", "Eileen",
         "Samuel", "Priya", "Derek", "Olga", "Kwame", "Rose", "Alan", "Bridget", "Hamid",
         "Lucy", "Stanley", "Margaret", "Ivan", "Nora", "Dennis", "Chloe", "Winston"]
LAST = ["Kowalski", "Smith", "Okafor", "Brennan", "Patel", "Hughes", "Nowak", "Doyle",
        "Fernandes", "MacLeod", "Ahmed", "Jenkins", "Murray", "Lindqvist", "Osei", "Walsh"]
COND = ["a sacral pressure ulcer", "a venous leg ulcer", "cellulitis of the left leg",
        "a diabetic foot ulcer", "a dehisced abdominal wound", "a grade 3 pressure injury",
        "infected surgical site after a hip replacement", "a skin tear on the forearm",
        "a fungating breast wound", "moisture-associated skin damage"]
ASK = ["Has anyone tried a silver dressing in this situation?",
       "Would you escalate to tissue viability or manage on the ward?",
       "Any thoughts on negative pressure therapy here?",
       "What offloading would you suggest?",
       "Is honey still worth trying, or should we move on?",
       "How often would you change the dressing?",
       "Should we be swabbing this, or just treating clinically?"]
MON = ["Jan", "March", "April", "May", "June", "Sept", "October", "November", "December"]

def name():
    return r.choice(FIRST), r.choice(LAST)

def d(): return r.randint(1, 28)
def m(): return r.randint(1, 12)

def nhs():
    while True:
        ds = [r.randint(0, 9) for _ in range(9)]
        c = 11 - sum(x * (10 - i) for i, x in enumerate(ds)) % 11
        c = 0 if c == 11 else c
        if c != 10:
            s = "".join(map(str, ds + [c]))
            return f"{s[:3]} {s[3:6]} {s[6:]}"

def npi():
    while True:
        base = "1" + "".join(str(r.randint(0, 9)) for _ in range(8))
        for c in range(10):
            s = "80840" + base + str(c)
            tot = 0
            for i, ch in enumerate(reversed(s)):
                v = int(ch)
                if i % 2 == 1:
                    v *= 2
                    v = v - 9 if v > 9 else v
                tot += v
            if tot % 10 == 0:
                return base + str(c)

def ssn():
    return f"{r.randint(1, 665):03d}-{r.randint(1, 99):02d}-{r.randint(1, 9999):04d}"

def mbi():
    L = "ACDEFGHJKMNPQRTUVWXY"
    a = lambda: r.choice(L)
    n = lambda: str(r.randint(0, 9))
    an = lambda: r.choice(L + "0123456789")
    return f"{r.randint(1,9)}{a()}{an()}{n()}-{a()}{an()}{n()}-{a()}{a()}{n()}{n()}"

def ni():
    return f"{r.choice('ABCEHJKLMPRSTWXYZ')}{r.choice('ABCEHJKLMNPRSTWXYZ')} {r.randint(10,99)} {r.randint(10,99)} {r.randint(10,99)} {r.choice('ABCD')}"

def phone():
    return r.choice([f"07700 {r.randint(900000, 900999)}", f"0161 496 {r.randint(1000, 9999)}",
                     f"(555) {r.randint(200, 999)}-{r.randint(1000, 9999)}",
                     f"+44 20 7946 {r.randint(1000, 9999)}"])

def dt():
    return r.choice([f"{d()}/{m():02d}/24", f"{d()} {r.choice(MON)}", f"2024-{m():02d}-{d():02d}",
                     f"{r.choice(MON)} {d()}th", f"{d()}.{m()}.2023"])

PHI = [
    ("name", lambda: "pt %s %s. came back to clinic with %s." % (name()[0], r.choice(LAST)[0], r.choice(COND))),
    ("name", lambda: "Our patient %s %s has %s." % (*name(), r.choice(COND))),
    ("name", lambda: "Mrs %s, %d, was admitted with %s." % (r.choice(LAST), r.randint(60, 88), r.choice(COND))),
    ("name", lambda: "Mr %s on bay 4 has %s and is refusing turns." % (r.choice(LAST), r.choice(COND))),
    ("name", lambda: "We have a patient called %s %s. with %s." % (name()[0], r.choice(LAST)[0], r.choice(COND))),
    ("name", lambda: "A lady named %s from the care home has %s." % (name()[0], r.choice(COND))),
    ("name", lambda: "%s %s, 77, presented to the clinic with %s." % (*name(), r.choice(COND))),
    ("name", lambda: "Her daughter %s is worried about the wound and the dressing changes." % name()[0]),
    ("date", lambda: "He was admitted %s with %s." % (dt(), r.choice(COND))),
    ("date", lambda: "She was discharged on %s but the wound has broken down again." % dt()),
    ("date", lambda: "DOB %s, lives alone, has %s." % (dt(), r.choice(COND))),
    ("date", lambda: "I first saw this patient with %s; she was seen on %s by the district nurse." % (r.choice(COND), dt())),
    ("date", lambda: "On %s he was readmitted to the ward with %s." % (dt(), r.choice(COND))),
    ("age", lambda: "A %d-year-old woman with %s." % (r.randint(90, 104), r.choice(COND))),
    ("age", lambda: "%dyo gent in a nursing home with %s." % (r.randint(90, 101), r.choice(COND))),
    ("age", lambda: "Patient aged %d with dementia and %s." % (r.randint(90, 99), r.choice(COND))),
    ("mrn", lambda: "MRN %08d, %s." % (r.randint(100000, 9999999), r.choice(COND))),
    ("mrn", lambda: "Hospital number: RX%07d - %s, any advice?" % (r.randint(0, 9999999), r.choice(COND))),
    ("mrn", lambda: "Her account no. is %d and the wound clinic billing failed." % r.randint(10000000, 99999999)),
    ("mrn", lambda: "The patient (unit no %d) has %s." % (r.randint(100000, 999999), r.choice(COND))),
    ("nhs-number", lambda: "NHS number %s for the referral, patient has %s." % (nhs(), r.choice(COND))),
    ("nhs-number", lambda: "Referral for %s under %s." % (r.choice(COND), nhs())),
    ("ssn", lambda: "His SSN is %s per the intake form, wound is %s." % (ssn(), r.choice(COND))),
    ("mbi", lambda: "Medicare MBI %s, she has %s." % (mbi(), r.choice(COND))),
    ("ni-number", lambda: "NI %s on the form; patient has %s." % (ni(), r.choice(COND))),
    ("npi", lambda: "Wound care order signed under NPI %s for the patient with %s." % (npi(), r.choice(COND))),
    ("phone", lambda: "The patient's son can be reached on %s about %s." % (phone(), r.choice(COND))),
    ("email", lambda: "Her daughter emailed from %s.%s@example.net about the wound." % (r.choice(FIRST).lower(), r.choice(LAST).lower())),
    ("address", lambda: "The patient lives at %d %s Road, %s, in a flat on the third floor." % (r.randint(2, 200), r.choice(LAST), r.choice(["Salford", "Leeds", "Bristol"]))),
    ("address", lambda: "Home visit for a patient with %s at postcode M%d %dRT." % (r.choice(COND), r.randint(1, 40), r.randint(1, 9))),
    ("ip", lambda: "The patient uploaded the wound photo from 192.168.%d.%d via the portal." % (r.randint(0, 255), r.randint(1, 254))),
    ("serial", lambda: "Patient's NPWT pump serial number %s%d keeps alarming." % (r.choice(["VAC", "PN", "SN"]), r.randint(10000, 999999))),
]

INTRO = ["Hi all,", "Hello everyone,", "Morning,", "Quick question for the group.", "", "Dear colleagues,"]
CLEAN = [
    "How do people manage %s in a patient with Parkinson's disease who cannot stay still?",
    "Does anyone use the Braden scale or Waterlow for %s? Which predicts better?",
    "What is your threshold for antibiotics in %s? Our 2019 guideline says swab first.",
    "We are auditing %s across the trust this year (2023 to 2024). What outcome measures do you use?",
    "For a patient with a Glasgow Coma Scale of 9, how do you position to protect the heels?",
    "Is the Apgar score relevant to neonatal skin care protocols at all?",
    "Our tissue viability meeting is on 3 May at St Thomas' Hospital; anyone presenting on %s?",
    "In patients over 80 with %s, is compression still safe with an ABPI of 0.8?",
    "Dose question: 500 mg flucloxacillin four times a day for %s, or 1 g?",
    "HbA1c of 64 mmol/mol in a patient with %s: would you expect slow healing?",
    "Has anyone got a leaflet on %s for families? Happy to share ours from Leeds General Infirmary.",
    "What honey dressing does your formulary list for %s since the 2022 change?",
    "Would Crohn's disease change how you treat %s near a stoma?",
    "Alzheimer's patients often pull at dressings. Any tips for %s?",
    "Is there evidence from the 2021 Cochrane review on %s?",
    "We see a lot of %s after Hartmann's procedure. Anyone else?",
    "Our ward changed to silicone foam in March 2024 for %s. Any downsides?",
    "A patient in their 70s with %s asked about swimming. What do you advise?",
    "How long do you leave a Foley catheter before reviewing for %s risk?",
    "Does the Wells score matter before compression for %s?",
]
SIG = ["", "\n\nThanks,\nDr Jane Roe\nTissue Viability Lead\nTel 0161 496 0000\njane.roe@example.org",
       "\n\n-- \nSam Carter RN\nWound clinic, Royal Infirmary\n07700 900555",
       "\n\nBest wishes\nAnn", "\n\nKind regards,\nPriya Nair, Specialist Nurse\nBleep 4421"]

def post(body):
    intro = r.choice(INTRO)
    return ((intro + "\n\n") if intro else "") + body + " " + r.choice(ASK) + r.choice(SIG) + "\n"

with open("tests/screen/phi.txt", "w") as f:
    f.write("# Synthetic posts, each with one labelled patient identifier (our own text).\n")
    for i in range(160):
        kind, mk = PHI[i % len(PHI)]
        lead = r.choice(["", "Looking for advice on a tricky one. "])
        f.write("%%%% %s\n" % kind)
        f.write(post(lead + mk()))
with open("tests/screen/clean.txt", "w") as f:
    f.write("# Synthetic PHI-free clinical questions (our own text).\n")
    for i in range(160):
        q = CLEAN[i % len(CLEAN)]
        body = q % r.choice(COND) if "%s" in q else q
        f.write("%% clean\n")
        f.write(post(body))
