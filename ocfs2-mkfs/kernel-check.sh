#!/bin/bash
# kernel-check.sh: does the real Linux ocfs2 driver accept volumes made by ocfs2-mkfs?
#
# Formats with target/release/ocfs2-mkfs through ../shared/kernel-lab/kfix.sh (MKFS=...), boots the Debian
# kernel under qemu (TCG), mounts the volume, writes the whole test tree, then checks on the host:
#   guest      the guest scenario finished (KFIX-DONE rc=0) and the serial log has no OCFS2/jbd2 error or oops
#   fsck       fsck.ocfs2 -fn exit status 0
#   rdump      debugfs.ocfs2 rdump of every top-level entry: no rdump errors, every file the guest hashed
#              (KFIX-SHA) has the same sha256 and size, big directory listing and pattern files match
#   check      target/release/ocfs2-inspect check IMAGE: exit 0
#   irdump     target/release/ocfs2-inspect rdump IMAGE / DIR: every KFIX-SHA file matches, and the tree equals
#              debugfs.ocfs2's rdump (diff -r, lost+found aside)
#
# Usage: ocfs2-mkfs/kernel-check.sh [RUN...]          (from anywhere; about 40-60 s per run under TCG)
#   RUN: A-4k A-1k Amax-4k Amax-1k Amaxd-4k Amaxd-1k B-4k B-1k C1-4k C1-1k C2-4k, "default" (= A-4k A-1k
#        Amax-4k Amax-1k B-4k C1-4k) or "all" (every run). Default: default. Amaxq-4k is kept as another name
#        for Amax-4k.
# Env:  KLAB_SRC   the lab to copy (default: <workspace>/../shared/kernel-lab; it is never written to)
#       KCHECK_DIR scratch directory (default: a new /tmp/ocfs2-kcheck.XXXXXX); everything goes there
#       SKIP_BUILD=1  use the existing target/release binaries      ACCEL=tcg|kvm (passed to kfix.sh)
#       SIZE=256M  image size (passed to kfix.sh)
# Installs nothing. Exit status: 0 when every run passed, 1 otherwise, 2 for missing prerequisites.
#
# "Amax" is the true --fs-feature-level=max-features (metaecc, usrquota, grpquota, inline-data, indexed dirs).
# "Amaxd" is the same with --fs-features=noinline-data: root, lost+found and the orphan directories are then
# block directories with dx roots.
set -uo pipefail
{ # the whole script is one brace group: bash parses it before running, so editing this file mid-run is safe
HERE=$(cd "$(dirname "$0")" && pwd)
WS=$(cd "$HERE/.." && pwd)
KLAB_SRC=${KLAB_SRC:-$WS/../shared/kernel-lab}
PATH=/sbin:/usr/sbin:$PATH

# ---- prerequisites (checked, never installed) ----------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need qemu-system-x86_64 qemu-system-x86
need cpio cpio
need modprobe kmod
need zstd zstd
need xz xz-utils
need gcc gcc
need fsck.ocfs2 ocfs2-tools
need debugfs.ocfs2 ocfs2-tools
need fallocate util-linux
need cargo "cargo (rustup)"
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 || missing+=(busybox-static)
ls /usr/lib/x86_64-linux-gnu/libc.a >/dev/null 2>&1 || missing+=(libc6-dev)
kver=$(ls -1 /lib/modules 2>/dev/null | sort -V | while read -r v; do
  ls /lib/modules/"$v"/kernel/fs/ocfs2/ocfs2.ko* >/dev/null 2>&1 && [ -r /boot/vmlinuz-"$v" ] && echo "$v"; done | tail -1)
[ -n "$kver" ] || missing+=(linux-image-amd64)
[ -x "$KLAB_SRC/kfix.sh" ] || { echo "kernel lab not found at $KLAB_SRC (set KLAB_SRC)"; exit 2; }
if [ ${#missing[@]} -gt 0 ]; then
  echo "missing prerequisites. As root:"
  echo "  apt-get update && apt-get install -y --no-install-recommends $(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
  echo "(the lab needs: qemu-system-x86 linux-image-amd64 busybox-static cpio kmod zstd xz-utils gcc libc6-dev, plus ocfs2-tools)"
  exit 2
fi

# ---- runs ---------------------------------------------------------------------------------------------
# name  kfix-scenario  block-size  extra ocfs2-mkfs options (appended by the wrapper)
declare -A SCEN=([A-4k]=A-default [A-1k]=A-default [Amax-4k]=A-max [Amax-1k]=A-max [B-4k]=B [B-1k]=B
                 [C1-4k]=C1 [C1-1k]=C1 [C2-4k]=C2 [Amaxq-4k]=A-max [Amaxd-4k]=A-max [Amaxd-1k]=A-max)
declare -A BSZ=([A-4k]=4096 [A-1k]=1024 [Amax-4k]=4096 [Amax-1k]=1024 [B-4k]=4096 [B-1k]=1024
                [C1-4k]=4096 [C1-1k]=1024 [C2-4k]=4096 [Amaxq-4k]=4096 [Amaxd-4k]=4096 [Amaxd-1k]=1024)
NOINLINE=--fs-features=noinline-data
declare -A EXTRA=([Amaxd-4k]=$NOINLINE [Amaxd-1k]=$NOINLINE)
DEFAULT_RUNS="A-4k A-1k Amax-4k Amax-1k B-4k C1-4k"
ALL_RUNS="A-4k A-1k Amax-4k Amax-1k Amaxd-4k Amaxd-1k B-4k B-1k C1-4k C1-1k C2-4k"
runs=()
for a in "${@:-default}"; do
  case $a in default) runs+=($DEFAULT_RUNS);; all) runs+=($ALL_RUNS);;
    *) [ -n "${SCEN[$a]:-}" ] || { echo "unknown run '$a' (known: $ALL_RUNS, default, all)"; exit 2; }; runs+=("$a");; esac
done

# ---- build --------------------------------------------------------------------------------------------
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "building release binaries (cargo build --release -p ocfs2-mkfs -p ocfs2-inspect)"
  (cd "$WS" && cargo build --release -q -p ocfs2-mkfs -p ocfs2-inspect) || { echo "build failed"; exit 1; }
fi
TGT=${CARGO_TARGET_DIR:-$WS/target}/release
MKFS_BIN=$TGT/ocfs2-mkfs; INSPECT=$TGT/ocfs2-inspect
[ -x "$MKFS_BIN" ] && [ -x "$INSPECT" ] || { echo "missing $MKFS_BIN or $INSPECT"; exit 1; }

# ---- scratch: a copy of the lab, one initramfs, one LAB/OUT per run --------------------------------------
S=${KCHECK_DIR:-$(mktemp -d /tmp/ocfs2-kcheck.XXXXXX)}; mkdir -p "$S"
rm -rf "$S/kernel-lab"; cp -r "$KLAB_SRC" "$S/kernel-lab"; chmod -R u+w "$S/kernel-lab"
KFIX=$S/kernel-lab/kfix.sh
# private copies: a concurrent cargo build must not swap the binaries in the middle of the runs
mkdir -p "$S/bin"; cp "$MKFS_BIN" "$INSPECT" "$S/bin/"; MKFS_BIN=$S/bin/ocfs2-mkfs; INSPECT=$S/bin/ocfs2-inspect
echo "scratch: $S   kernel: $kver   mkfs: $MKFS_BIN (tree $(cd "$WS" && git describe --always --dirty 2>/dev/null), sha256 $(sha256sum "$MKFS_BIN" | cut -c1-16))"
LAB=$S/lab KVER=$kver "$S/kernel-lab/build-initramfs.sh" > "$S/initramfs.log" 2>&1 || { cat "$S/initramfs.log"; exit 1; }

now() { date +%s.%N; }
declare -A RES TIME NOTE
for r in "${runs[@]}"; do
  lab=$S/runs/$r; out=$S/fixtures/$r; log=$S/runs/$r.out
  rm -rf "$lab" "$out"; mkdir -p "$lab" "$out"
  ln -s "$S/lab/initramfs.cpio.gz" "$lab/initramfs.cpio.gz"; ln -s "$S/lab/initramfs-root" "$lab/initramfs-root"
  # kfix.sh calls "$MKFS -F -q -b BS -C CS [scenario options] IMAGE": append our extra options before IMAGE
  cat > "$lab/mkfs" <<EOF
#!/bin/bash
n=\$#; img=\${!n}; set -- "\${@:1:n-1}" ${EXTRA[$r]:-}
echo "+ ocfs2-mkfs \$* \$img" >&2
exec "$MKFS_BIN" "\$@" "\$img"
EOF
  chmod +x "$lab/mkfs"
  echo "=== $r: kfix.sh ${SCEN[$r]} BS=${BSZ[$r]} ${EXTRA[$r]:-}   (log: $log)"
  t0=$(now)
  (cd "$S" && LAB=$lab OUT=$out MKFS=$lab/mkfs BS=${BSZ[$r]} CS=4096 KVER=$kver "$KFIX" "${SCEN[$r]}") > "$log" 2>&1
  img=$lab/${SCEN[$r]}.img
  # per-check verdicts from kfix.sh's output
  guest=FAIL fsck=FAIL rdump=FAIL check=FAIL irdump=FAIL note=""
  grep -q '^+ ocfs2-mkfs' "$log" && ! grep -q '^mkfs failed' "$log" || note+="mkfs failed; "
  if [ "${SCEN[$r]}" = C2 ]; then glogs=("$lab/C2-n0.log" "$lab/C2-n1.log"); else glogs=("$lab/${SCEN[$r]}.log"); fi
  ok=1; for g in "${glogs[@]}"; do grep -a -q 'KFIX-DONE rc=0' "$g" 2>/dev/null || ok=0; done
  kerr=$(cat "${glogs[@]}" 2>/dev/null | grep -a -v '^KFIX-SHA' | grep -a -E 'ERROR|BUG:|Call Trace|Oops|read-only|jbd2.*(error|abort)' | head -3)
  [ $ok = 1 ] && [ -z "$kerr" ] && guest=ok; [ -n "$kerr" ] && note+="kernel: $(echo "$kerr" | head -1 | tr -d '\r'); "
  grep -q '^fsck rc=0$' "$log" && fsck=ok
  ncmp=$(sed -n 's/^compared \([0-9]*\) files written by the guest: \([0-9]*\) mismatches$/\1 \2/p' "$log" | tail -1)
  if [ -n "$ncmp" ] && [ "${ncmp#* }" = 0 ] && [ "${ncmp% *}" -gt 0 ] && grep -q '^rdump: .* errors: 0$' "$log" \
     && ! grep -q -E '^(MISSING|MISMATCH|DIR MISMATCH|PATTERN MISMATCH)' "$log"; then rdump="ok(${ncmp% *})"; fi
  if [ -f "$img" ]; then
    "$INSPECT" check --no-progress "$img" > "$lab/inspect-check.txt" 2>&1; crc=$?
    [ $crc = 0 ] && check=ok || { check="rc=$crc"; note+="inspect check: $(tail -1 "$lab/inspect-check.txt"); "; }
    ir=$lab/inspect-rdump; rm -rf "$ir"; mkdir -p "$ir"
    if "$INSPECT" rdump "$img" / "$ir" > "$lab/inspect-rdump.txt" 2>&1; then
      bad=0 n=0
      sha_src=$(cat "${glogs[@]}" | grep -a '^KFIX-SHA ' | tr -d '\r')
      while read -r _ sha size path; do [ -n "$path" ] || continue; n=$((n+1))
        [ -f "$ir/$path" ] && [ "$(sha256sum < "$ir/$path" | cut -d' ' -f1)" = "$sha" ] && [ "$(stat -c %s "$ir/$path")" = "$size" ] || bad=$((bad+1))
      done <<< "$sha_src"
      dbg=$lab/out-${SCEN[$r]}
      d=$(diff -r --no-dereference -x lost+found "$ir" "$dbg" 2>&1 | grep -v '^Only in .*: lost+found$' | head -3)
      [ $bad = 0 ] && [ $n -gt 0 ] && [ -z "$d" ] && irdump="ok($n)" || { irdump="bad($bad/$n)"; [ -n "$d" ] && note+="inspect rdump vs debugfs: $(echo "$d" | head -1); "; }
    else irdump="rc!=0"; note+="inspect rdump: $(tail -1 "$lab/inspect-rdump.txt"); "; fi
  else note+="no image; "; fi
  TIME[$r]=$(echo "$(now) $t0" | awk '{printf "%.0f", $1-$2}')
  if [ $guest = ok ] && [ $fsck = ok ] && [ "${rdump%%(*}" = ok ] && [ $check = ok ] && [ "${irdump%%(*}" = ok ]; then RES[$r]=PASS; else RES[$r]=FAIL; fi
  NOTE[$r]="guest=$guest fsck=$fsck rdump=$rdump check=$check irdump=$irdump"; [ -n "$note" ] && NOTE[$r]+="  ($note)"
  echo "    ${RES[$r]} in ${TIME[$r]}s: ${NOTE[$r]}"
done

echo
echo "kernel $kver ($(uname -m), ACCEL=${ACCEL:-tcg}), $(date -u +%Y-%m-%dT%H:%MZ), scratch $S"
printf '%-8s %-9s %-5s %-36s %-5s %-5s %-15s %-5s %-9s %5s  %s\n' RUN SCENARIO BS "EXTRA MKFS OPTIONS" GUEST FSCK RDUMP CHECK IRDUMP TIME RESULT
rc=0
for r in "${runs[@]}"; do
  set -- ${NOTE[$r]%%  (*}
  printf '%-8s %-9s %-5s %-36s %-5s %-5s %-15s %-5s %-9s %4ss  %s\n' "$r" "${SCEN[$r]}" "${BSZ[$r]}" "${EXTRA[$r]:--}" \
    "${1#guest=}" "${2#fsck=}" "${3#rdump=}" "${4#check=}" "${5#irdump=}" "${TIME[$r]}" "${RES[$r]}"
  [ "${RES[$r]}" = PASS ] || rc=1
done
echo "per-run logs: $S/runs/RUN.out; kernel-written images: $S/runs/RUN/*.img, compressed: $S/fixtures/RUN/"
exit $rc
}
