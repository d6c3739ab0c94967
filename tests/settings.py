"""Settings the test app runs with."""

#: Most tests post forms instantly and repeatedly from one client, which the integrity
#: checks would rightly quarantine; tests/intake/test_integrity.py puts the real limits back.
RELAXED_INTEGRITY = {
    "SURVEY_MIN_SECONDS": 0,
    "SURVEY_STRAIGHT_LINE_SECONDS": 0,
    "SURVEY_CLIENT_LIMIT": "",
    "SURVEY_CODE_LIMIT": "",
    "SURVEY_BURST_CLIENT": 0,
    "SURVEY_BURST_NETWORK": 0,
    "SURVEY_DEVICE_REPEAT_HOURS": 0,
}
