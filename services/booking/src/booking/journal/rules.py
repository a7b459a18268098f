"""Pure journal rules."""

#: A problem/diagnosis code: ICPC-2 (a chapter letter and two digits, e.g. P74) or ICD-10 (e.g. F41.1)
PROBLEM_CODE = r"^[A-Z][0-9]{2}(\.[0-9]{1,2})?$"
