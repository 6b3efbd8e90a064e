#!/bin/bash
# Copy the course notebooks into the user's home on first start, never over their work.
#
# Run by the Jupyter Docker Stacks start-up (a hook in /usr/local/bin/before-notebook.d/).
# If the destination already exists, nothing is touched: a student's edited notebooks and
# answers survive every restart and every image update. To get a fresh copy, a student
# renames or deletes ~/mesatoys and restarts their server.
#
# Environment (all optional):
#   MESATOYS_NOTEBOOKS_SRC   the notebooks in the image   (default /opt/mesatoys/notebooks)
#   MESATOYS_NOTEBOOKS_DEST  where the student's copy goes (default $HOME/mesatoys)
set -eu

src="${MESATOYS_NOTEBOOKS_SRC:-/opt/mesatoys/notebooks}"
dest="${MESATOYS_NOTEBOOKS_DEST:-${HOME}/mesatoys}"

if [ ! -d "${src}" ]; then
    echo "mesatoys: no notebooks at ${src}; nothing copied" >&2
    exit 0
fi
if [ -e "${dest}" ]; then
    echo "mesatoys: ${dest} exists; left as it is"
    exit 0
fi

mkdir -p "$(dirname "${dest}")"
# Copy to a temporary name first, then rename: an interrupted copy never leaves a half-filled
# folder that a later start would mistake for the student's own.
tmp="${dest}.partial.$$"
rm -rf "${tmp}"
cp -R "${src}" "${tmp}"
mv "${tmp}" "${dest}"
# Started as root (docker run --user root), the hook runs before the switch to the notebook
# user: hand the copy to that user.
if [ "$(id -u)" = "0" ] && [ -n "${NB_UID:-}" ]; then
    chown -R "${NB_UID}:${NB_GID:-100}" "${dest}"
fi
echo "mesatoys: copied the course notebooks to ${dest}"
