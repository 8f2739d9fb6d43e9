"""E-mail: the outbox, its delivery, the messages of a request's life, residents' alerts.

How it hangs together:

- :mod:`web.mail.subscribers` listens to the lifecycle signals (:mod:`web.core.signals`) and
  writes :class:`~web.mail.models.OutboxMessage` rows in the transaction of the change, with
  a *snapshot* of what to tell (cheap: a publication of hundreds of visits is not slowed);
- :mod:`web.mail.outbox` claims due messages (one sender per message, even with several
  processes), renders them (:mod:`web.mail.messages`), hands them to the transport
  (:mod:`web.mail.transport`: SMTP, or ``.eml`` files when ``TOURPLAN_MAIL_URL`` is unset)
  and records the outcome, with retries and back-off;
- :mod:`web.mail.worker` runs that in a thread of the app, or on RQ when
  ``TOURPLAN_REDIS_URL`` is set; ``flask --app web tourplan send-mail`` does it once.
"""
