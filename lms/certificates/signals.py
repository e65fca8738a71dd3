"""Domain events of ``certificates``, sent after the transaction that caused them commits.

Consumers connect from their ``AppConfig.ready``; this app never imports them. A re-issue
(``api.reissue``) is a revocation and an issue in one transaction: it sends
``certificate_revoked`` for the old certificate and then ``certificate_issued`` for the new
one, each pointing to the other.
"""

from django.dispatch import Signal

# A certificate was issued: sent once per new row (``issue_certificate`` returning one
# already issued, by a repeated task or the loser of a race, announces nothing).
# Arguments: certificate_id (int), certificate_uuid (str), folio (str), user_id (int),
# enrollment_id (int), course_id (int), issued_at (datetime),
# replaces_id (int | None: the revoked certificate this one corrects, on a re-issue).
certificate_issued = Signal()

# A valid certificate was revoked (once: revoking it again is refused and sends nothing).
# Arguments: certificate_id (int), certificate_uuid (str), folio (str),
# user_id (int | None: None once the learner deleted their account),
# enrollment_id (int | None, likewise), course_id (int | None), revoked_at (datetime),
# reason (str), revoked_by_id (int | None),
# replaced_by_id (int | None: the new certificate, on a re-issue).
certificate_revoked = Signal()
