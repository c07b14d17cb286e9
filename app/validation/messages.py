"""Message ids for every validation code. English source strings; zh_CN in the catalogue.

Each message names the field by its label (``{label}``), in the language shown.
"""

from __future__ import annotations

from app.i18n import N_, Nn_

_TOO_LONG = Nn_("{label}: at most {max} character (now {length}).", "{label}: at most {max} characters (now {length}).")
_DECIMALS = Nn_("{label}: at most {decimals} decimal place.", "{label}: at most {decimals} decimal places.")
_EXPIRES_SOON = Nn_(
    "{label}: the licence expires on {date}, in {days} day.", "{label}: the licence expires on {date}, in {days} days."
)

MESSAGES: dict[str, str] = {
    "invalid": N_("{label}: the value is not valid."),
    "required": N_("{label} is required."),
    "text.too_long": _TOO_LONG[0],
    "text.pattern": N_("{label}: the format is not recognised."),
    "text.surrogate": N_("{label}: the text holds a broken character (often from copying and pasting); type it again."),
    "integer.invalid": N_("{label}: enter a whole number."),
    "decimal.invalid": N_("{label}: enter a number."),
    "decimal.places": _DECIMALS[0],
    "number.min": N_("{label}: must be at least {min}."),
    "number.max": N_("{label}: must be at most {max}."),
    "date.invalid": N_("{label}: enter a date as YYYY-MM-DD."),
    "date.future": N_("{label}: {date} is in the future."),
    "date.too_old": N_("{label}: {date} is before 1900."),
    "choice.invalid": N_("{label}: “{value}” is not one of the choices."),
    "boolean.invalid": N_("{label}: answer yes or no (是/否)."),
    "mobile.format": N_("{label}: a mobile number has 11 digits and starts with 13 to 19."),
    "mobile.unallocated": N_("{label}: {value} is not in a known mobile number range; please check it."),
    "landline.format": N_("{label}: enter the area code and the number, for example 029-88881234."),
    "landline.unknown": N_("{label}: {value} does not fit the number length of its area code; please check it."),
    "phone.format": N_(
        "{label}: enter a mobile number (11 digits, 13 to 19) or a landline with its area code, for example "
        "029-88881234."
    ),
    "id_card.length": N_("{label}: a resident ID number has 18 characters (or 15 digits in the old form)."),
    "id_card.format": N_("{label}: only digits are allowed, and X as the last character."),
    "id_card.checksum": N_("{label}: the check character does not match; a digit was probably mistyped."),
    "id_card.birth_date": N_("{label}: the birth date in the number ({date}) is not a real date."),
    "id_card.birth_future": N_("{label}: the birth date in the number ({date}) is in the future."),
    "id_card.region": N_("{label}: the number starts with {code}, which is not a province code."),
    "id_card.address": N_(
        "{label}: the number starts with {code}, which is not an administrative division code (GB/T 2260)."
    ),
    "id_card.birth_old": N_("{label}: the birth date in the number ({date}) is before 1890; please check it."),
    "id_card.foreign_province": N_(
        "{label}: in a foreign permanent resident ID the two digits after the 9 ({code}) "
        "must be the code of the province that issued it."
    ),
    "id_card.nationality": N_(
        "{label}: in a foreign permanent resident ID digits 4 to 6 ({code}) must be the "
        "holder's nationality code (GB/T 2659.1)."
    ),
    "uscc.length": N_("{label}: a unified social credit code has 18 characters."),
    "uscc.format": N_("{label}: only digits and the letters A–H, J–N, P–R, T, U, W–Y are allowed."),
    "uscc.checksum": N_("{label}: the check character does not match; a character was probably mistyped."),
    "licence.format": N_("{label}: a tobacco retail licence number has 12 digits."),
    "licence.region": N_("{label}: the number starts with {code}, which is not a province code."),
    "bank.format": N_("{label}: a bank account number has 12 to 19 digits."),
    "bank.luhn": N_(
        "{label}: the check digit does not match (Luhn); passbook numbers may not use one, so please check the number."
    ),
    "region.format": N_("{label}: a region code has 6 digits."),
    "region.province": N_("{label}: {code} does not start with a province code."),
    "region.unknown": N_("{label}: {code} is not an administrative division code (GB/T 2260)."),
    "digits.not_ascii": N_("{label}: “{char}” is not one of the digits 0–9; please type the number with 0–9."),
    "postal.format": N_("{label}: a postal code has 6 digits."),
    "email.format": N_("{label}: this is not a valid email address."),
    "gps.format": N_("{label}: enter latitude,longitude in decimal degrees, for example 34.2583,108.9426."),
    "gps.outside": N_("{label}: {value} is outside China."),
    "gps.swapped": N_("{label}: latitude and longitude look swapped; enter the latitude first."),
    "photo.invalid": N_("{label}: not a stored photo."),
    "photo.missing": N_("{label}: photo {ref} is not in this archive."),
    "secrecy.placeholder": N_(
        "{label}: a masked value is not a value; enter the real one or leave the field as it was."
    ),
    "secrecy.hidden": N_("{label} is masked for you (secret): it cannot be changed from this account."),
    "photo.forbidden": N_("{label}: photo {ref} was not sent from this account and is not on a customer you may see."),
    "licence.issue_after_expiry": N_("{label}: the issue date must be before the expiry date ({expiry})."),
    "licence.review_outside": N_(
        "{label}: the annual review date must lie between the issue date and the expiry date."
    ),
    "licence.expires_soon": _EXPIRES_SOON[0],
    "licence.expired": N_("{label}: the licence expired on {date}."),
    "consent.not_signed": N_(
        "{label}: without the customer's written consent, personal information should not be collected."
    ),
    "consent.missing": N_(
        "{label}: the customer's consent is not recorded (signed, its date and its form: written or electronic); "
        "a customer with personal information cannot be submitted without it."
    ),
    "consent.required": N_(
        "{label}: personal information cannot be saved without the customer's recorded consent (signed, its "
        "date and its form: written or electronic); record the consent first, or leave this field as it was."
    ),
    "duplicate": N_("{label}: the same value is already used by customer {code} ({name})."),
    "duplicate.unnamed": N_("{label}: the same value is already used by customer {code}."),
    "duplicate.in_file": N_("{label}: the same value is also in row {row} of this file."),
    "readonly": N_("{label} is maintained by the system and cannot be changed here."),
    "supervisor_only": N_("{label} can only be changed by a market manager."),
    "onboarding_only": N_(
        "{label} is set by the customer manager when the customer joins; afterwards the system or a market "
        "manager keeps it."
    ),
    "readonly.new": N_("{label} is maintained by the system: leave it empty for a new customer."),
    "supervisor_only.new": N_("{label} can only be filled in by a market manager: leave it empty for a new customer."),
    "unknown_field": N_("{label}: this column is not a field of the form and was ignored."),
    "code.changed": N_("{label}: the customer code of an existing customer cannot be changed."),
}

MESSAGES.update(
    {
        "id.unknown": N_("There is no customer with the id {id} in this archive."),
        "id.duplicate": N_("The id {id} is also in row {row}."),
        "id.pending": N_(
            "The customer with the id {id} is waiting for review; it can be changed after the market "
            "manager's decision."
        ),
        "id.no_archive": N_("Rows with an id can only be checked against an archive; create or unlock one first."),
        "code.exists": N_("{label}: the code {code} already belongs to another customer."),
        "column.duplicate": N_("The column “{column}” appears twice."),
        "column.close": N_(
            "The column “{column}” is not recognised and looks like {label}: rename it to “{label}” "
            "(or delete the column if it is something else)."
        ),
        "cell.number_lost": N_(
            "{label}: the column was stored as a number by Excel and its last digits are lost; "
            "set the column to Text and enter it again."
        ),
        "cell.leading_zero": N_(
            "{label}: the column was stored as a number by Excel and the leading 0 is lost ({value}); "
            "set the column to Text and enter it again with its leading 0."
        ),
        "sheet.choose": N_(
            "{file} has data on several sheets: {sheets}. Choose the sheet to import, or all of them "
            "(command line: --sheet NAME or --sheet all)."
        ),
        "sheet.no_fields": N_("The header row names no field of the form; use field keys or their labels."),
    }
)

#: The codes whose message counts something: its plural msgid and the parameter that counts.
PLURALS: dict[str, tuple[str, str]] = {
    "text.too_long": (_TOO_LONG[1], "max"),
    "decimal.places": (_DECIMALS[1], "decimals"),
    "licence.expires_soon": (_EXPIRES_SOON[1], "days"),
}
