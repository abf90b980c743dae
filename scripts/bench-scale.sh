#!/usr/bin/env bash
# Scaling benchmark of track jobs (issue 16): jobs of about 1k, 9k and 36k frames at 480p and 1080p, each with 1 and
# with 2 Rendering worker processes (the bench clips decode as exact 4:2:0 planes, so their QC clip is drawn and encoded
# by Reconstruction's single-decode pass and Rendering only joins it; a clip that does not is rendered in 600-frame
# segments taken from the queue render-qc-segment by any number of workers), and optionally a 36k-frame retarget, with the same worker counts (its
# clips are rendered in 600-output-frame segments from render-retarget-segment). Per job: wall time (submit →
# outputs downloaded) and per frame, the job's stage times (GET /v1/jobs/{id}, as `facepipe` prints them), the peak
# resident memory of every service process (VmHWM; the services are restarted before each job so the peaks are that
# job's), the media store's peak size during the job (`du -sb` of Media__Root every 0.5 s, nothing excluded, minus its
# size before the upload) against the upload and against input + outputs, and the end-to-end time against the stage
# floors measured in the same run on the same clip:
#   decode floor     ffmpeg -v error -i CLIP -map 0:v:0 -f null -                     (wall time)
#   landmark floor   facepipe-bench landmark-floor: the landmark ONNX model alone on one 192x192 crop, ms/frame × frames,
#                    the better of one session (ONNX Runtime's default threads) and one 1-thread session per core at once
#   QC-encode floor  ffmpeg -v error -i CLIP -map 0:v:0 -c:v libx264 -preset veryfast -crf 20 -f null -   minus the decode floor
# Markdown on stdout (each row as soon as it is measured: paste into docs/benchmarks.md), progress on stderr.
#
#   scripts/bench-scale.sh [--sizes 1000,9000,36000|none] [--heights 480,1080] [--render-workers 1,2] [--retarget]
#                          [--retarget-size 36000] [--retarget-target CLIP] [--landmark-runs 2000] [--keep-jobs]
#
# Without any argument it runs everything, the retarget included; with arguments, the retarget only with --retarget
# (--sizes none: the retarget alone).
# Clips are made once from ../shared/assets/media/new_face_video-90.mp4 (640x480 upright, 511 frames, with audio):
# 480p by looping it with stream copy (-stream_loop, round(size / 511) copies: the exact frame count is reported), 1080p
# by scaling it once to 1920x1080 (scaled to 1080 lines, pillarboxed; x264 ultrafast, CRF 23) and looping that the same
# way; they are kept in $FACEPIPE_DATA/bench-clips (.data/, git-ignored). Extra Rendering workers (2nd, 3rd, …) are
# started here as scripts/services.sh starts a service (ports 8092, 8093, …; pid files Rendering-N.pid in
# $FACEPIPE_DATA/run, logs Rendering-N.log in $FACEPIPE_DATA/logs) and stopped at the end, on Ctrl-C and on errors.
# Each job is deleted after it is measured (DELETE /v1/jobs/{id}) so the next baseline is clean, and its downloaded
# outputs removed, unless --keep-jobs; its progress and samples stay in $FACEPIPE_DATA/bench-scale/<row>/.
# Needs the Release build (scripts/setup.sh); starts the local servers (scripts/infra.sh start) and restarts the
# services; leaves the six services running afterwards, as scripts/bench-track.sh does.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
COMMAND_LINE="scripts/bench-scale.sh${*:+ $*}"

SIZES="1000,9000,36000"
HEIGHTS="480,1080"
WORKERS="1,2"
RETARGET=""
RETARGET_SIZE=36000
RETARGET_TARGET="$REPO/../shared/assets/media/new_face_video-90.mp4"
LANDMARK_RUNS=2000
KEEP_JOBS=""
if [ $# -eq 0 ]; then RETARGET=1; fi

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "bench-scale: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) need_value "$@"; SIZES="$2"; shift 2 ;;
    --heights) need_value "$@"; HEIGHTS="$2"; shift 2 ;;
    --render-workers) need_value "$@"; WORKERS="$2"; shift 2 ;;
    --retarget) RETARGET=1; shift ;;
    --retarget-size) need_value "$@"; RETARGET_SIZE="$2"; shift 2 ;;
    --retarget-target) need_value "$@"; RETARGET_TARGET="$2"; shift 2 ;;
    --landmark-runs) need_value "$@"; LANDMARK_RUNS="$2"; shift 2 ;;
    --keep-jobs) KEEP_JOBS=1; shift ;;
    -h|--help) usage ;;
    *) echo "bench-scale: unknown argument '$1'" >&2; usage ;;
  esac
done

list() { tr ',' ' ' <<<"$1"; }
if [ "$SIZES" = none ]; then SIZES=""; fi
for n in $(list "$SIZES") "$RETARGET_SIZE" "$LANDMARK_RUNS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "bench-scale: '$n' is not a positive whole number" >&2; exit 2; }
done
for h in $(list "$HEIGHTS"); do
  [[ "$h" == 480 || "$h" == 1080 ]] || { echo "bench-scale: height '$h' is not 480 or 1080" >&2; exit 2; }
done
for w in $(list "$WORKERS"); do
  [[ "$w" =~ ^[1-9]$ ]] || { echo "bench-scale: render workers '$w' is not 1 to 9" >&2; exit 2; }
done

log() { printf '[bench-scale] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

BASE="$REPO/../shared/assets/media/new_face_video-90.mp4"
[ -f "$BASE" ] || die "base clip missing: $BASE"
[ -f "$RETARGET_TARGET" ] || [ -z "$RETARGET" ] || die "retarget target missing: $RETARGET_TARGET"
for tool in ffmpeg ffprobe curl bc du awk; do command -v "$tool" >/dev/null || die "$tool is not installed"; done

"$REPO/scripts/infra.sh" start 2>/dev/null
eval "$("$REPO/scripts/infra.sh" env)"
RUN="$FACEPIPE_DATA/run"
LOGS="$FACEPIPE_DATA/logs"
CLIPS="$FACEPIPE_DATA/bench-clips"
WORK="$FACEPIPE_DATA/bench-scale"
mkdir -p "$RUN" "$LOGS" "$CLIPS" "$WORK"
SERVICES=(Ingest FrameExtraction Reconstruction ExpressionTransfer Rendering Training)
EXTRA_PORT_BASE=8090   # the Nth Rendering worker listens on 8090 + N (services.sh uses 8080–8085)
dll() { echo "$REPO/services/$1/bin/Release/net10.0/FacePipeline.$1.dll"; }
for name in "${SERVICES[@]}"; do [ -f "$(dll "$name")" ] || die "$name is not built: run scripts/setup.sh (or dotnet build FacePipeline.sln -c Release)"; done

log "building facepipe-bench"
if ! build_out=$(dotnet build "$REPO/tools/FacePipeline.Benchmarks" -c Release -nologo -v quiet 2>&1); then
  echo "$build_out" >&2
  die "facepipe-bench does not build"
fi
BENCH_DLL="$REPO/tools/FacePipeline.Benchmarks/bin/Release/net10.0/facepipe-bench.dll"
# The CLI is built here once and its dll run directly: ./facepipe rebuilds itself whenever a .cs file under shared/ is
# newer than its dll, which would land inside the timed submit while the sources change.
log "building the facepipe CLI"
if ! build_out=$(dotnet build "$REPO/tools/FacePipeline.Cli" -c Release -nologo -v quiet 2>&1); then
  echo "$build_out" >&2
  die "the facepipe CLI does not build"
fi
CLI_DLL="$REPO/tools/FacePipeline.Cli/bin/Release/net10.0/facepipe.dll"
facepipe() { dotnet "$CLI_DLL" "$@"; }

# ---------------------------------------------------------------------------------------------------------------
# Clean-up: extra Rendering workers, the sampler, a job still running (Ctrl-C) and its download folder.
EXTRA_NAMES=()
SAMPLER_PID=""
CURRENT_JOB_LOG=""
CURRENT_JOB_DONE=""

stop_pid() { # pid: TERM, up to 10 s, then KILL
  local pid="$1"
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_extra_workers() {
  local name
  for name in "${EXTRA_NAMES[@]}"; do
    if [ -f "$RUN/$name.pid" ]; then
      stop_pid "$(cat "$RUN/$name.pid")"
      rm -f "$RUN/$name.pid"
      log "$name stopped"
    fi
  done
  EXTRA_NAMES=()
}

stop_sampler() {
  if [ -n "$SAMPLER_PID" ]; then
    kill "$SAMPLER_PID" 2>/dev/null || true
    wait "$SAMPLER_PID" 2>/dev/null || true
    SAMPLER_PID=""
  fi
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_sampler
  if [ -n "$CURRENT_JOB_LOG" ] && [ -z "$CURRENT_JOB_DONE" ]; then
    local id
    id=$(job_id_of "$CURRENT_JOB_LOG")
    if [ -n "$id" ]; then
      log "cancelling job $id"
      facepipe cancel "$id" >/dev/null 2>&1 || true
    fi
  fi
  stop_extra_workers
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------------------------
# Services: restarted before every job, plus N-1 extra Rendering workers started the way services.sh starts one.
start_extra_worker() { # index (2, 3, ...)
  local i="$1" name="Rendering-$1" port=$((EXTRA_PORT_BASE + $1))
  if curl -fsS "http://127.0.0.1:$port/health/live" >/dev/null 2>&1; then
    die "port $port is taken: cannot start $name"
  fi
  Logging__File__Path="$LOGS/$name.log" Logging__Console__LogLevel__Default=None \
    ASPNETCORE_URLS="http://127.0.0.1:$port" nohup dotnet "$(dll Rendering)" >"$LOGS/$name.out" 2>&1 &
  echo $! > "$RUN/$name.pid"
  EXTRA_NAMES+=("$name")
  local pid=$! ok=""
  for _ in $(seq 1 240); do
    if curl -fsS "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if [ -z "$ok" ]; then
    tail -n 20 "$LOGS/$name.log" >&2 2>/dev/null || true
    if [ -s "$LOGS/$name.out" ]; then tail -n 20 "$LOGS/$name.out" >&2; fi
    die "$name did not become ready"
  fi
  log "$name ready on 127.0.0.1:$port (pid $pid)"
}

restart_services() { # render workers
  stop_extra_workers
  "$REPO/scripts/services.sh" stop 2>/dev/null || true
  "$REPO/scripts/services.sh" start 2>"$WORK/services-start.log" || { cat "$WORK/services-start.log" >&2; die "the services did not start"; }
  local i
  for ((i = 2; i <= $1; i++)); do start_extra_worker "$i"; done
}

# The process names measured: the six services, then the extra Rendering workers.
measured_names() { echo "${SERVICES[@]}" "${EXTRA_NAMES[@]}"; }
pid_of() { cat "$RUN/$1.pid" 2>/dev/null || echo 0; }
vmhwm_mib() { # pid → VmHWM in MiB (0 when gone)
  local kib
  kib=$(awk '/^VmHWM:/ {print $2}' "/proc/$1/status" 2>/dev/null) || true
  echo $(( ${kib:-0} / 1024 ))
}

# ---------------------------------------------------------------------------------------------------------------
# Sampling during a job, every 0.5 s, by `facepipe-bench proc-sample` (one .NET process reading /proc and walking the
# du; the bash loop it replaced forked some thirty processes a sample, about 175 ms of CPU each, taken from the job):
# the media store's size (du -sb of the whole root, nothing excluded: a hard-linked file once) and the summed resident
# memory of each measured process's descendants (the ffmpeg/ffprobe it runs; VmHWM covers only the service process
# itself), then each measured process's own resident memory (KiB), then the time (Unix seconds): one line per sample, so
# a peak can be placed in the job.
media_bytes() { local v; v=$(du -sb "$Media__Root" 2>/dev/null | cut -f1) || true; echo "${v:-0}"; }

# ---------------------------------------------------------------------------------------------------------------
# Clips.
frames_of() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of default=nw=1:nk=1 "$1" | head -n 1; }
BASE_FRAMES=$(frames_of "$BASE")

base_for() { # height → base clip (511 frames)
  if [ "$1" = 480 ]; then echo "$BASE"; return; fi
  local out="$CLIPS/new_face_video-90-1080p.mp4"
  if [ ! -s "$out" ]; then
    log "making $out (1920x1080, x264 ultrafast CRF 23)"
    ffmpeg -nostdin -v error -y -i "$BASE" -map 0:v:0 -map '0:a?' \
      -vf "scale=-2:1080:flags=bicubic,pad=1920:1080:(ow-iw)/2:0,setsar=1" \
      -c:v libx264 -preset ultrafast -crf 23 -pix_fmt yuv420p -c:a copy "$out.tmp.mp4"
    mv "$out.tmp.mp4" "$out"
  fi
  echo "$out"
}

clip_for() { # height size → clip path (made once, cached)
  local base copies out
  base=$(base_for "$1")
  copies=$(( ($2 + BASE_FRAMES / 2) / BASE_FRAMES ))
  [ "$copies" -ge 1 ] || copies=1
  out="$CLIPS/new_face_video-90-${1}p-x${copies}.mp4"
  if [ ! -s "$out" ]; then
    log "making $out ($copies copies of $(basename "$base"), stream copy)"
    ffmpeg -nostdin -v error -y -stream_loop $((copies - 1)) -i "$base" -map 0 -c copy "$out.tmp.mp4"
    mv "$out.tmp.mp4" "$out"
  fi
  echo "$out"
}

size_of() { stat -c %s "$1"; }
display_size() { # clip → WxH as displayed (rotation applied)
  local w h r
  read -r w h r < <(ffprobe -v error -select_streams v:0 -show_entries stream=width,height:stream_side_data=rotation -of default=nw=1:nk=1 "$1" | tr '\n' ' ')
  if [ -n "${r:-}" ] && [ $(( (${r#-} / 90) % 2 )) -eq 1 ]; then echo "${h}x${w}"; else echo "${w}x${h}"; fi
}

# ---------------------------------------------------------------------------------------------------------------
# Floors, measured on the clip in this run (services idle).
now() { echo "${EPOCHREALTIME}"; }
elapsed() { echo "$2 - $1" | bc -l; }

# CPU time, to tell work from waiting: how many of the machine's cores were busy during a job or a floor, and each
# service's own CPU seconds with those of the ffmpeg/ffprobe children it has reaped (/proc/<pid>/stat utime + stime +
# cutime + cstime). A stage that keeps every core busy cannot be sped up by overlapping it with another; one that leaves
# cores idle can.
CLK_TCK=$(getconf CLK_TCK)
machine_jiffies() { awk '/^cpu / {busy = $2 + $3 + $4 + $7 + $8 + $9; print busy, busy + $5 + $6; exit}' /proc/stat; } # → "busy total"
process_cpu_jiffies() { # pid → its and its reaped children's user + system jiffies (0 when gone)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  awk '{sub(/^.*\) /, ""); print $12 + $13 + $14 + $15}' <<<"$stat"
}
cores_busy() { # "busy total" before, "busy total" after → mean cores busy
  local b0 t0 b1 t1
  read -r b0 t0 <<<"$1"
  read -r b1 t1 <<<"$2"
  if [ $((t1 - t0)) -le 0 ]; then echo 0; return; fi
  echo "$(nproc) * ($b1 - $b0) / ($t1 - $t0)" | bc -l
}
timed() { # command... → sets TIMED_SECONDS (wall) and TIMED_CORES (mean cores busy); call it without $(...)
  local t0 j0 t1
  j0=$(machine_jiffies); t0=$(now)
  "$@"
  t1=$(now)
  TIMED_CORES=$(cores_busy "$j0" "$(machine_jiffies)")
  TIMED_SECONDS=$(elapsed "$t0" "$t1")
}
decode_clip() { ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -f null -; }
x264_clip() { ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -c:v libx264 -preset veryfast -crf 20 -f null -; }
decode_floor() { timed decode_clip "$1"; echo "$TIMED_SECONDS"; }
x264_time() { timed x264_clip "$1"; echo "$TIMED_SECONDS"; }

REFINED_SETTING="${Reconstruction__RefinedLandmarks:-true}"
landmark_ms() { # clip runs → "mesh_ms refined_ms": ms/frame of face_landmark.onnx and face_landmark_with_attention.onnx
  # The model's best throughput on this machine: the better of one session with ONNX Runtime's default threads (about one
  # core busy) and one single-threaded session per core at once (as Reconstruction runs its slots).
  local out best_mesh="" best_refined="" mesh refined
  for how in "" "--threads 1 --sessions $(nproc)"; do
    # shellcheck disable=SC2086 # $how is two options or none
    out=$(dotnet "$BENCH_DLL" landmark-floor --clip "$1" --frames "$2" $how 2>/dev/null) || die "facepipe-bench landmark-floor $how failed"
    mesh=$(awk -F'|' '$3 ~ /^ *face_landmark\.onnx *$/ {gsub(/ /, "", $7); print $7}' <<<"$out")
    refined=$(awk -F'|' '$3 ~ /face_landmark_with_attention\.onnx/ {gsub(/ /, "", $7); print $7}' <<<"$out")
    [ -n "$mesh" ] && [ -n "$refined" ] || die "could not read landmark-floor's output: $out"
    log "landmark floor${how:+ ($how)}: face_landmark.onnx $mesh ms/frame, face_landmark_with_attention.onnx $refined ms/frame"
    if [ -z "$best_mesh" ] || [ "$(echo "$mesh < $best_mesh" | bc -l)" = 1 ]; then best_mesh=$mesh; fi
    if [ -z "$best_refined" ] || [ "$(echo "$refined < $best_refined" | bc -l)" = 1 ]; then best_refined=$refined; fi
  done
  echo "$best_mesh $best_refined"
}

# ---------------------------------------------------------------------------------------------------------------
# Running a job and reading what it did.
KEY_FILE="$FACEPIPE_DATA/demo-api-key"
ensure_key() {
  [ -s "$KEY_FILE" ] || facepipe tenant create "demo studio" > "$KEY_FILE"
  FACEPIPE_API_KEY="$(cat "$KEY_FILE")"
  export FACEPIPE_API_KEY
}

job_id_of() { grep -oE 'job [0-9a-f-]{36} submitted' "$1" 2>/dev/null | head -n 1 | awk '{print $2}' || true; }
final_line() { grep -E '^(completed|failed|cancelled) ' "$1" | tail -n 1 || true; }
stage_seconds() { # final-line stage → seconds
  grep -oE "(^| )$2 [0-9]+/[0-9]+( [a-z]+)? \([0-9.]+s\)" <<<"$1" | grep -oE '\([0-9.]+s\)' | tr -d '()s' | head -n 1 || true
}
stage_total() { grep -oE "(^| )$2 [0-9]+/[0-9]+" <<<"$1" | head -n 1 | cut -d/ -f2 || true; }

# Sets JOB_* for one job: kind ("track" or "retarget"), out folder, clip(s).
run_job() {
  local kind="$1" out="$2"
  shift 2
  rm -rf "$out"
  mkdir -p "$out"
  local samples="$out/samples.txt"
  local pids=() name
  for name in $(measured_names); do pids+=("$(pid_of "$name")"); done
  JOB_BASELINE=$(media_bytes)
  local cpu0=() pid j0
  for pid in "${pids[@]}"; do cpu0+=("$(process_cpu_jiffies "$pid")"); done
  j0=$(machine_jiffies)
  dotnet "$BENCH_DLL" proc-sample --out "$samples" --media "$Media__Root" --interval 0.5 "${pids[@]}" &
  SAMPLER_PID=$!
  CURRENT_JOB_LOG="$out/progress.log"
  CURRENT_JOB_DONE=""
  local t0 t1 rc=0
  t0=$(now)
  if [ "$kind" = track ]; then
    facepipe submit "$1" --kind track --wait --progress lines --out "$out/outputs" > "$out/progress.log" 2>&1 || rc=$?
  else
    facepipe retarget "$1" "$2" --progress lines --out "$out/outputs" > "$out/progress.log" 2>&1 || rc=$?
  fi
  t1=$(now)
  JOB_CORES=$(cores_busy "$j0" "$(machine_jiffies)")
  JOB_CPU=""
  local k=0 used
  for pid in "${pids[@]}"; do
    used=$(( $(process_cpu_jiffies "$pid") - ${cpu0[$k]} ))
    JOB_CPU+="${JOB_CPU:+ / }$(f1 "$(echo "$used / $CLK_TCK" | bc -l)")"
    k=$((k + 1))
  done
  CURRENT_JOB_DONE=1
  stop_sampler
  JOB_WALL=$(elapsed "$t0" "$t1")
  JOB_LOAD=$(cut -d' ' -f1 /proc/loadavg)
  JOB_RC=$rc
  JOB_ID=$(job_id_of "$out/progress.log")
  # The job as it ended, on one line (state, seconds, each stage's frames and seconds): `facepipe status`, since waiting
  # prints a few lines per stage (or live bars) rather than that line.
  [ -n "$JOB_ID" ] && facepipe status "$JOB_ID" > "$out/status.txt" 2>&1 || true
  JOB_FINAL=$(final_line "$out/status.txt" || true)
  JOB_SECONDS=$(awk '{print $2}' <<<"$JOB_FINAL" | tr -d s)
  # Peaks: the media store above its size before the upload; memory of each process, and of its children.
  # Byte counts printed as integers (%.0f): awk's default print turns one above 2^31 into 2.47e+09, which bash cannot add.
  JOB_MEDIA_PEAK=$(awk -v b="$JOB_BASELINE" 'BEGIN {m = 0} {if ($1 - b > m) m = $1 - b} END {printf "%.0f\n", m}' "$samples")
  JOB_SAMPLES=$(wc -l < "$samples")
  JOB_OUTPUT_BYTES=$(find "$out/outputs" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}')
  JOB_HWM=""
  JOB_CHILDREN=""
  local i=0 hwm child
  for name in $(measured_names); do
    hwm=$(vmhwm_mib "${pids[$i]}")
    child=$(awk -v c=$((i + 2)) 'BEGIN {m = 0} {if ($c > m) m = $c} END {print int(m / 1024)}' "$samples")
    JOB_HWM+="${JOB_HWM:+ / }$hwm"
    if [ "$child" -gt 0 ]; then JOB_CHILDREN+="${JOB_CHILDREN:+, }$name $child"; fi
    i=$((i + 1))
  done
  JOB_CHILDREN=${JOB_CHILDREN:-none seen}
  if [ "$rc" -ne 0 ] || [[ "$JOB_FINAL" != completed* ]]; then
    log "job ${JOB_ID:-?} did not complete (exit $rc); last lines:"
    tail -n 5 "$out/progress.log" >&2
  fi
}

# The QC segments of the job per Rendering process (from each worker's log): "segments/busy s" and the join's time.
segments_per_worker() {
  local id="$1" name text="" n busy
  for name in Rendering "${EXTRA_NAMES[@]}"; do
    n=0; busy=0
    if [ -n "$id" ]; then
      read -r n busy < <(cat "$LOGS/$name".*log 2>/dev/null | grep -E "Job $id: (QC|retarget) segment" \
        | grep -oE 'rendered in [0-9.]+s' | awk '{gsub(/s$/, "", $3); n++; s += $3} END {printf "%d %.1f\n", n, s}')
    fi
    text+="${text:+, }$n ($busy s)"
  done
  echo "$text"
}
join_seconds() {
  [ -n "$1" ] || { echo ""; return; }
  cat "$LOGS"/Rendering*.log 2>/dev/null | grep -E "Job $1: (QC clip and tracking data|retarget result and review clip) written in" \
    | grep -oE 'written in [0-9.]+s' | tail -n 1 | grep -oE '[0-9.]+' || true
}

delete_job() {
  if [ -n "$KEEP_JOBS" ]; then return 0; fi
  [ -n "$1" ] && facepipe delete "$1" >/dev/null 2>&1 || log "could not delete job $1"
  rm -rf "$2/outputs"   # progress.log and samples.txt (media bytes, children's RSS every 0.5 s) stay for reading
}

# ---------------------------------------------------------------------------------------------------------------
# Formatting.
f1() { printf '%.1f' "$1"; }
f2() { printf '%.2f' "$1"; }
mib() { printf '%.0f' "$(echo "$1 / 1048576" | bc -l)"; }
ratio() { if [ "$(echo "$2 > 0" | bc -l)" = 1 ]; then printf '%.2f' "$(echo "$1 / $2" | bc -l)"; else echo "n/a"; fi; }
max_of() { local m="$1" x; for x in "$@"; do if [ "$(echo "$x > $m" | bc -l)" = 1 ]; then m="$x"; fi; done; echo "$m"; }
stage_cell() { # final line, stage names...
  local line="$1" s v text=""
  shift
  for s in "$@"; do v=$(stage_seconds "$line" "$s"); text+="${text:+, }$s ${v:-?}"; done
  echo "$text"
}

print_header() {
  local host
  host=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo 2>/dev/null || true)
  echo "## Scaling: track jobs by length and resolution (issue 16)"
  echo
  echo "Command: \`$COMMAND_LINE\`  ($(nproc) cores (nproc)${host:+, $host}, $(date -u '+%Y-%m-%d %H:%M') UTC)"
  echo
  echo "Each row is one job on freshly restarted services. End to end: \`facepipe submit CLIP --kind track --wait\` (retarget: \`facepipe retarget SOURCE TARGET\`) from submit to outputs downloaded; job s: the job's own time (created → completed, GET /v1/jobs/{id}); stage s: each stage's started → completed. Floors, measured in the same run on the same clip with the services idle: decode = \`ffmpeg -v error -i CLIP -map 0:v:0 -f null -\`; landmark = \`facepipe-bench landmark-floor\` ms/frame × frames, the better of one session with ONNX Runtime's default threads and \`--threads 1 --sessions $(nproc)\` (one single-threaded session per core at once, as Reconstruction's slots run), of the model Reconstruction runs (Reconstruction__RefinedLandmarks=$REFINED_SETTING: $( [ "$REFINED_SETTING" = false ] && echo face_landmark.onnx || echo face_landmark_with_attention.onnx ); the 468-point face_landmark.onnx in brackets); QC encode = \`ffmpeg -v error -i CLIP -map 0:v:0 -c:v libx264 -preset veryfast -crf 20 -f null -\` minus the decode floor. Media peak: \`du -sb\` of Media__Root every 0.5 s during the job (\`facepipe-bench proc-sample\`), minus its size before the upload (nothing excluded); input = the upload(s), outputs = the files downloaded. VmHWM: /proc/<pid>/status of each service process after the job, in MiB, in the order Ingest / FrameExtraction / Reconstruction / ExpressionTransfer / Rendering / Training / extra Rendering workers; children: the largest summed RSS of each process's child processes (ffmpeg, ffprobe) seen by the same 0.5 s sampler. QC segments: per Rendering process, segments rendered (their summed time, from its log). Load: the 1-minute load average as the job ended (the machine is shared: a load above the core count means other work competed). Cores busy: the mean number of the machine's $(nproc) cores busy (/proc/stat: user, nice, system, irq, softirq) over the job, and over each floor (decode / x264 / landmark; the landmark floor's includes its process start); CPU s: each service's user + system seconds during the job with those of the ffmpeg/ffprobe children it reaped (/proc/<pid>/stat), same order as VmHWM."
  echo
  echo "| clip | frames | render workers | end to end s (job s) | ms/frame | stage s | decode floor s | landmark floor s | QC-encode floor s | Σ floors s | e2e / Σ floors | e2e / largest floor | media peak MiB | × upload | × (input + outputs) | peak − 1.2 × (input + outputs) MiB | VmHWM MiB | children peak RSS MiB | QC segments per worker (busy s); join s | load | cores busy: job (floors: decode / x264 / landmark) | CPU s per service |"
  echo "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---:|---|---|"
}

# One markdown row. Arguments: clip label, frames, workers, decode, landmark, landmark_mesh, encode, input bytes, stages...
print_row() {
  local label="$1" frames="$2" workers="$3" decode="$4" landmark="$5" landmark_mesh="$6" encode="$7" input="$8"
  shift 8
  local stages=("$@")
  if [[ "$JOB_FINAL" != completed* ]]; then
    echo "| $label | $frames | $workers | job ${JOB_ID:-?} did not complete: $(tr '|' '/' <<<"${JOB_FINAL:-exit $JOB_RC}") | | | | | | | | | | | | | | | | $JOB_LOAD | | |"
    return
  fi
  local sum largest largest_name io excess
  sum=$(echo "$decode + $landmark + $encode" | bc -l)
  largest=$(max_of "$decode" "$landmark" "$encode")
  if [ "$largest" = "$decode" ]; then largest_name=decode; elif [ "$largest" = "$landmark" ]; then largest_name=landmark; else largest_name="QC encode"; fi
  io=$((input + JOB_OUTPUT_BYTES))
  excess=$(echo "$JOB_MEDIA_PEAK - 1.2 * $io" | bc -l)
  local segs="n/a"
  if [ "$kind_of_row" = track ] || [ "$kind_of_row" = retarget ]; then segs="$(segments_per_worker "$JOB_ID"); join $(join_seconds "$JOB_ID")"; fi
  printf '| %s | %d | %s | %s (%s) | %s | %s | %s | %s (%s) | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s (%s) | %s |\n' \
    "$label" "$frames" "$workers" "$(f1 "$JOB_WALL")" "${JOB_SECONDS:-?}" "$(f2 "$(echo "1000 * $JOB_WALL / $frames" | bc -l)")" \
    "$(stage_cell "$JOB_FINAL" "${stages[@]}")" \
    "$(f2 "$decode")" "$(f1 "$landmark")" "$(f1 "$landmark_mesh")" "$(f1 "$encode")" "$(f1 "$sum")" \
    "$(ratio "$JOB_WALL" "$sum")" "$(ratio "$JOB_WALL" "$largest")" "$largest_name" \
    "$(mib "$JOB_MEDIA_PEAK")" "$(ratio "$JOB_MEDIA_PEAK" "$input")" "$(ratio "$JOB_MEDIA_PEAK" "$io")" "$(mib "$excess")" \
    "$JOB_HWM" "$JOB_CHILDREN" "$segs" "$JOB_LOAD" "$(f2 "$JOB_CORES")" "$FLOORS_CORES" "$JOB_CPU"
}

# ---------------------------------------------------------------------------------------------------------------
print_header
restart_services 1
ensure_key
SCALING=()   # "label|frames|workers|render s|segments per worker|join s" for the render-scaling summary

for height in $(list "$HEIGHTS"); do
  for size in $(list "$SIZES"); do
    clip=$(clip_for "$height" "$size")
    frames=$(frames_of "$clip")
    label="$(basename "$clip") ($(display_size "$clip"), $(mib "$(size_of "$clip")") MiB)"
    log "floors on $(basename "$clip") ($frames frames)"
    "$REPO/scripts/services.sh" stop 2>/dev/null || true   # idle machine for the floors
    timed decode_clip "$clip"; decode=$TIMED_SECONDS; decode_cores=$TIMED_CORES
    timed x264_clip "$clip"; encode=$(echo "$TIMED_SECONDS - $decode" | bc -l); x264_cores=$TIMED_CORES
    runs=$(( frames < LANDMARK_RUNS ? frames : LANDMARK_RUNS ))
    timed landmark_ms "$clip" "$runs" > "$WORK/landmark-floor.txt"; landmark_cores=$TIMED_CORES
    lm=$(cat "$WORK/landmark-floor.txt")
    FLOORS_CORES="$(f1 "$decode_cores") / $(f1 "$x264_cores") / $(f1 "$landmark_cores")"
    read -r mesh_ms refined_ms <<<"$lm"
    landmark_mesh=$(echo "$mesh_ms * $frames / 1000" | bc -l)
    if [ "$REFINED_SETTING" = false ]; then landmark=$landmark_mesh; else landmark=$(echo "$refined_ms * $frames / 1000" | bc -l); fi
    for workers in $(list "$WORKERS"); do
      log "track job: $(basename "$clip"), $frames frames, $workers Rendering worker(s)"
      restart_services "$workers"
      out="$WORK/track-${height}p-${frames}-w${workers}"
      kind_of_row=track
      run_job track "$out" "$clip"
      print_row "$label" "$frames" "$workers" "$decode" "$landmark" "$landmark_mesh" "$encode" "$(size_of "$clip")" extract reconstruct render
      SCALING+=("$label|$frames|$workers|$(stage_seconds "$JOB_FINAL" render)|$(segments_per_worker "$JOB_ID")|$(join_seconds "$JOB_ID")")
      delete_job "$JOB_ID" "$out"
    done
  done
done

if [ -n "$RETARGET" ]; then
  source_clip=$(clip_for 480 "$RETARGET_SIZE")
  sframes=$(frames_of "$source_clip")
  tframes=$(frames_of "$RETARGET_TARGET")
  label="retarget: $(basename "$source_clip") ($(display_size "$source_clip"), $(mib "$(size_of "$source_clip")") MiB) onto $(basename "$RETARGET_TARGET") ($(display_size "$RETARGET_TARGET"), $tframes frames)"
  log "floors for the retarget"
  FLOORS_CORES="not measured"
  "$REPO/scripts/services.sh" stop 2>/dev/null || true
  decode=$(echo "$(decode_floor "$source_clip") + $(decode_floor "$RETARGET_TARGET")" | bc -l)
  tdecode=$(decode_floor "$RETARGET_TARGET")
  tencode_per_frame=$(echo "($(x264_time "$RETARGET_TARGET") - $tdecode) / $tframes" | bc -l)
  runs=$(( sframes < LANDMARK_RUNS ? sframes : LANDMARK_RUNS ))
  lm=$(landmark_ms "$source_clip" "$runs")
  read -r mesh_ms refined_ms <<<"$lm"
  landmark_mesh=$(echo "$mesh_ms * ($sframes + $tframes) / 1000" | bc -l)
  if [ "$REFINED_SETTING" = false ]; then landmark=$landmark_mesh; else landmark=$(echo "$refined_ms * ($sframes + $tframes) / 1000" | bc -l); fi
  for workers in $(list "$WORKERS"); do
    log "retarget job: $(basename "$source_clip") ($sframes frames) onto $(basename "$RETARGET_TARGET"), $workers Rendering worker(s)"
    restart_services "$workers"
    out="$WORK/retarget-${sframes}-w${workers}"
    kind_of_row=retarget
    run_job retarget "$out" "$source_clip" "$RETARGET_TARGET"
    # The result's encode floor: the target's x264 time per frame × the result's frames (the render stage's total).
    rframes=$(stage_total "$JOB_FINAL" render)
    encode=$(echo "$tencode_per_frame * ${rframes:-$sframes}" | bc -l)
    print_row "$label" "$sframes" "$workers" "$decode" "$landmark" "$landmark_mesh" "$encode" "$(( $(size_of "$source_clip") + $(size_of "$RETARGET_TARGET") ))" extract reconstruct transfer render
    SCALING+=("retarget onto $(basename "$RETARGET_TARGET")|${rframes:-$sframes}|$workers|$(stage_seconds "$JOB_FINAL" render)|$(segments_per_worker "$JOB_ID")|$(join_seconds "$JOB_ID")")
    delete_job "$JOB_ID" "$out"
  done
  echo
  echo "Retarget rows: frames = the source's; floors: decode of both clips, the landmark model on both clips' frames, x264 of the result (${rframes:-?} frames × the target's own x264 time per frame); the review clip, the closed-loop re-tracking and the QC re-tracking of the result are not in the floors."
fi

# ---------------------------------------------------------------------------------------------------------------
# Render stage with 1 and N workers, and what it predicts for N workers on N machines.
plan_segments() { # frames → QC segments as RenderSegments.Plan cuts them (600 frames; a remainder under 300 joins the last)
  local s=$(( ($1 + 300) / 600 ))
  echo $(( s < 1 ? 1 : s ))
}
if [ "${#SCALING[@]}" -gt 0 ]; then
  echo
  echo "### Render stage by Rendering workers"
  echo
  echo "| clip | frames (output) | segments | render workers | render stage s | speed-up vs 1 worker | segments per worker (busy s) | join s | mean segment s |"
  echo "|---|---:|---:|---:|---:|---:|---|---:|---:|"
  declare -A ONE_WORKER=()
  MODEL_ROWS=()
  for entry in "${SCALING[@]}"; do
    IFS='|' read -r label frames workers render segs join <<<"$entry"
    if [ "$workers" = 1 ]; then ONE_WORKER["$label"]="$render"; fi
  done
  for entry in "${SCALING[@]}"; do
    IFS='|' read -r label frames workers render segs join <<<"$entry"
    total_busy=$(grep -oE '\([0-9.]+ s\)' <<<"$segs" | tr -d '()s ' | paste -sd+ - | bc -l 2>/dev/null || echo 0)
    done_segs=$(grep -oE '(^|, )[0-9]+ \(' <<<"$segs" | grep -oE '[0-9]+' | paste -sd+ - | bc 2>/dev/null || echo 0)
    nseg=$(plan_segments "$frames")
    if [ "${done_segs:-0}" -gt 0 ]; then nseg=$done_segs; fi
    mean_seg="n/a"
    if [ "${done_segs:-0}" -gt 0 ]; then mean_seg=$(f1 "$(echo "$total_busy / $done_segs" | bc -l)"); fi
    speed="—"
    one="${ONE_WORKER[$label]:-}"
    if [ -n "$one" ] && [ -n "$render" ] && [ "$workers" != 1 ]; then speed="$(ratio "$one" "$render")×"; fi
    echo "| $label | $frames | $nseg | $workers | ${render:-?} | $speed | $segs | ${join:-?} | $mean_seg |"
    # The model's terms from the 1-worker job: T(1) = o + S · t_seg + t_join.
    if [ "$workers" = 1 ] && [ "$mean_seg" != n/a ] && [ -n "$render" ] && [ -n "$join" ]; then
      overhead=$(echo "$render - $total_busy - $join" | bc -l)
      predicted=""
      for n in 2 4 8 16; do
        t=$(echo "$overhead + $(( (nseg + n - 1) / n )) * ($total_busy / $done_segs) + $join" | bc -l)
        predicted+="${predicted:+ / }$(f1 "$t")"
      done
      MODEL_ROWS+=("| $label | $nseg | $mean_seg | $join | $(f1 "$overhead") | $render | $predicted | $(f1 "$(echo "$render / ($join + $overhead + $total_busy / $done_segs)" | bc -l)")× |")
    fi
  done
  echo
  echo "Model for N workers on N machines: the render stage of a clip of F frames is S ≈ F / 600 segments (RenderSegments.Plan) of mean time t_seg on one worker (the segment's run decoded from the upload, the mesh drawn, x264), then one join of time t_join (segments concatenated without re-encoding, the audio muxed once, tracking.json, tracking.fptk and the curves written; for a retarget, a segment renders its output frames and encodes a segment of every clip, and the join joins each clip, assesses the QC and writes the curves), plus an overhead o (outbox, queue, the coordinator's bookkeeping per segment). On one worker T(1) = o + S · t_seg + t_join. With N workers on N machines, each with the cores of this one, segments run side by side and t_seg stays what it is here: T(N) ≈ o + ⌈S / N⌉ · t_seg + t_join, so the speed-up tends to T(1) / (o + t_seg + t_join) as N reaches S, the join (serial, growing with F) being the limit. Several workers on one machine share its cores: x264 already uses them, so the second worker on this 2-core machine only overlaps the serial parts of a segment (decoder start, drawing, I/O) and the speed-up stays well below 2. A worker may hold up to RabbitMQ's prefetch count of segments (RabbitMq__PrefetchCount, 4) while it renders one: the segments per worker show whether the queue was shared."
  if [ "${#MODEL_ROWS[@]}" -gt 0 ]; then
    echo
    echo "The model's terms from each 1-worker job (o = render stage − Σ segment times − join), and what it predicts on N machines:"
    echo
    echo "| clip | S | t_seg s | t_join s | o s | T(1) measured s | T(N) predicted s, N = 2 / 4 / 8 / 16 | speed-up limit (N ≥ S): T(1) / (o + t_seg + t_join) |"
    echo "|---|---:|---:|---:|---:|---:|---|---:|"
    printf '%s\n' "${MODEL_ROWS[@]}"
  fi
fi
log "done"
