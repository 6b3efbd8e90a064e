"""nbgrader settings shared by every server on the course's JupyterHub.

Students' and instructor's alike: the course id, the exchange directory and the exchange's
classes.

deploy/Dockerfile installs this file as /etc/jupyter/nbgrader_config.py, which nbgrader reads
for every user. The exchange is the volume the hub mounts at /srv/nbgrader/exchange
(deploy/z2jh/config.yaml); MESATOYS_EXCHANGE overrides it, as it does for the course's own
assignments/nbgrader_config.py. tests/hub runs a real hub with this very file.

The classes (mesatoys.grading.exchange) keep each student's submissions and feedback in a
folder of their own, ``inbound/<student>`` and ``feedback/<student>``: on Kubernetes a
student's pod mounts only those two (and the released assignments, read-only), so the
student id must be the name of those folders. KubeSpawner names them after the hub user
(``{username}``, escaped to lowercase letters, digits and ``-``) and passes the same name in
MESATOYS_STUDENT_ID; without it nbgrader takes the Unix user name (on the Docker Stacks
image, user ``jovyan``, the hub user name).
"""

import os

from mesatoys.grading.exchange import EXCHANGE_CLASSES

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "mesatoys"
c.Exchange.root = os.environ.get("MESATOYS_EXCHANGE", "/srv/nbgrader/exchange")
if os.environ.get("MESATOYS_STUDENT_ID"):
    c.CourseDirectory.student_id = os.environ["MESATOYS_STUDENT_ID"]

for setting, class_name in EXCHANGE_CLASSES.items():
    setattr(c.ExchangeFactory, setting, class_name)
