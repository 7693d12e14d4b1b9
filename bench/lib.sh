# Helpers shared by the bench/*/run.sh scripts (sourced).

# median FILE: the median of the numbers in FILE, one per line.
median() {
  sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# wrk_rate URL CONNECTIONS SECONDS: one wrk -t2 run on URL (a presigned GET);
# prints "requests/s MiB/s". A non-2xx answer or a socket error fails it: an
# error page served fast must not count as throughput.
wrk_rate() {
  local out
  out="$(wrk -t2 -c"$2" -d"${3}s" --timeout 30s "$1")"
  if grep -qE "Non-2xx|Socket errors" <<<"$out"; then
    echo "wrk on $1: errors during the run:" >&2
    echo "$out" >&2
    return 1
  fi
  awk '
    /^Requests\/sec:/ { rps = $2 }
    /^Transfer\/sec:/ {
      v = $2; unit = v; sub(/[0-9.]+/, "", unit); sub(/[A-Za-z]+$/, "", v)
      f = unit == "GB" ? 1024 : unit == "MB" ? 1 : unit == "KB" ? 1 / 1024 : 1 / 1048576
      mib = v * f
    }
    END { printf "%.0f %.1f\n", rps, mib }' <<<"$out"
}
