"""The REST API v2 subset the app uses, one module per resource, on PagerDuty's conventions
(`protocol`), limits (`limits`) and injectable faults (`faults`)."""
