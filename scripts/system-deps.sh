#!/usr/bin/env bash
# System packages Aula needs beyond Python: GNU gettext (compiling translations), ffmpeg
# (light versions of videos and audios) and,
# for the test suite (`system-deps.sh test`), Chromium for the browser tests.
# Installs them with apt when missing and we are root; otherwise says what to install.
set -euo pipefail
missing=()
command -v msgfmt >/dev/null 2>&1 || missing+=(gettext)
# ffmpeg makes the light versions of uploaded videos and audios (content/media.py).
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
if [ "${1:-}" = test ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Instalando paquetes del sistema: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Faltan paquetes del sistema: ${missing[*]} (instálelos con su gestor de paquetes)." >&2
  exit 1
fi
