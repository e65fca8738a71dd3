"""Program evaluation: learning gains, retention, time to a credential, the quarterly
report for funders and the de-identified research export (under /coordinacion/evaluacion/)."""
