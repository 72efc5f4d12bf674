"""LTI 1.3 for an email course: the roster from the LMS (Names and Role Provisioning Services)
and grades into it (Assignment and Grade Services), with the IMS Security Framework's client
credentials. The students never open the tool; the instructor's commands call the LMS.

- :mod:`.registration`: the tool's key pair, in ``<course>/lti/``
- :mod:`.platform`: the LMS's details, ``<course>/lti/platform.toml``
- :mod:`.scopes`: the scopes each command asks for, and what the administrator enables
- :mod:`.client`: signed token requests, the token cache, retries and when to stop, paging
- :mod:`.members`: NRPS members, and the roster made from them
- :mod:`.ledger`: what was posted, when, and the LMS's answer (in the course's gradebook)
- :mod:`.push`: line items found or made once, scores posted only where they changed
- :mod:`.delivery`: one score posted once, a lost answer read back, a killed run settled
- :mod:`.commands`: ``grader lti``, and the ``--push lti`` of ``grader final``
- :mod:`.roster_command`: ``grader roster --from-lti``
"""
