"""nbgrader settings shared by every server on the course's JupyterHub, students' and
instructor's alike: the course id and the exchange directory.

deploy/Dockerfile installs this file as /etc/jupyter/nbgrader_config.py, which nbgrader reads
for every user. The exchange is the volume the hub mounts at /srv/nbgrader/exchange
(deploy/z2jh/config.yaml); MESATOYS_EXCHANGE overrides it, as it does for the course's own
assignments/nbgrader_config.py. tests/hub runs a real hub with this very file.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "mesatoys"
c.Exchange.root = os.environ.get("MESATOYS_EXCHANGE", "/srv/nbgrader/exchange")
