# runlater's init container, run by the static busybox that is all its image holds (FROM scratch):
#   /busybox sh /init.sh
# It fills the volume shared with the job's container (RUNLATER_SHIM_DIR, default /runlater) with
# the busybox, the shim script, the job's stdin and two FIFOs for tagged output, then exits; the
# job's container starts after it (dependsOn SUCCESS). The same files as lambdas/shim/prepare.ts
# makes for `runlater dev`.
#
# The stdin comes inline (RUNLATER_STDIN_B64) or from a presigned object store URL
# (RUNLATER_STDIN_URL). When RUNLATER_STDIN_SHA256 is set (RunTask's override carries it), bytes
# with another digest are refused: the job does not start on them. busybox's wget speaks TLS but
# does not check the server's certificate (docs/performance.md, "The init image"): the digest is
# what makes a tampered download fail.

bb=/busybox
dir=${RUNLATER_SHIM_DIR:-/runlater}

fail() {
  echo "runlater init: $*" >&2
  exit 1
}

# Every file whole under a temporary name, then renamed into place: a reader never sees half a
# file, and a container still running an old busybox keeps it.
place() { # place TMP NAME MODE
  "$bb" chmod "$3" "$1" && "$bb" mv -f "$1" "$dir/$2" || fail "cannot write $dir/$2"
}

"$bb" mkdir -p "$dir" && "$bb" chmod 755 "$dir" || fail "cannot create $dir"
"$bb" cp /busybox "$dir/.busybox.$$" || fail "cannot write $dir"
place "$dir/.busybox.$$" busybox 755
"$bb" cp /shim.sh "$dir/.shim.sh.$$" || fail "cannot write $dir"
place "$dir/.shim.sh.$$" shim.sh 644

tmp="$dir/.stdin.$$"
if [ -n "${RUNLATER_STDIN_URL:-}" ]; then
  # Never the query in a message: a presigned URL's signature does not belong in logs.
  where=${RUNLATER_STDIN_URL%%\?*}
  case "$RUNLATER_STDIN_URL" in
    http://* | https://*) ;;
    *) fail "cannot fetch stdin from ${where%%:*}: URLs (http and https only)" ;;
  esac
  tries=0
  while :; do
    tries=$((tries + 1))
    # No -T: Debian's static busybox 1.35 crashes with it; its default network timeout is 900 s.
    if err=$("$bb" wget -q -O "$tmp" "$RUNLATER_STDIN_URL" 2>&1); then break; fi
    err=$(echo "$err" | "$bb" sed 's/?[^ ]*//g')
    # A 4xx answer will not change by asking again; network errors and 5xx may.
    case "$err" in *" 4"[0-9][0-9]*) tries=3 ;; esac
    [ "$tries" -lt 3 ] || { "$bb" rm -f "$tmp"; fail "could not fetch stdin: $err from $where"; }
    "$bb" sleep "$tries"
  done
else
  printf '%s' "${RUNLATER_STDIN_B64:-}" | "$bb" base64 -d > "$tmp" || fail "RUNLATER_STDIN_B64 is not base64"
fi

if [ -n "${RUNLATER_STDIN_SHA256:-}" ]; then
  sum=$("$bb" sha256sum "$tmp") || fail "cannot read the stdin it wrote"
  sum=${sum%% *}
  if [ "$sum" != "$RUNLATER_STDIN_SHA256" ]; then
    "$bb" rm -f "$tmp"
    fail "stdin does not match its SHA-256 (expected $RUNLATER_STDIN_SHA256, got $sum): refusing to start the job on it"
  fi
fi
place "$tmp" stdin 444

# Where the program writes when the shim tags its lines (RUNLATER_LOG_TAGS). Made here because the
# job's container sees /runlater read-only; a FIFO stays writable all the same, by any USER.
for name in stdout stderr; do
  [ -p "$dir/$name" ] && continue
  "$bb" rm -rf "$dir/$name"
  "$bb" mkfifo -m 666 "$dir/$name" || fail "cannot make the FIFO $dir/$name"
done
