#!/usr/bin/env bash
# Prints an LD_LIBRARY_PATH under which the CUDA 13 libraries that ONNX Runtime's CUDA plugin links
# (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10) are found: the directories
# that hold them among $CUDA_HOME/lib64, /usr/local/cuda*/lib64 and the nvidia/*/lib folders of pip's
# site-packages (nvidia-cuda-runtime, nvidia-cublas, nvidia-curand), followed by the current
# LD_LIBRARY_PATH. libcuda.so.1 comes with the NVIDIA driver and is not searched for.
#
#   export LD_LIBRARY_PATH=$(scripts/cuda-ld-path.sh)
#
# Exit 0 when every library was found (or already resolvable), 1 otherwise (the path is still printed,
# and what is missing goes to stderr). CUDA_LD_PATH_ROOTS (colon-separated) replaces the search roots.
set -euo pipefail

libs=(libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10)

roots=()
if [[ -n "${CUDA_LD_PATH_ROOTS:-}" ]]; then
  IFS=: read -r -a roots <<<"$CUDA_LD_PATH_ROOTS"
else
  [[ -n "${CUDA_HOME:-}" ]] && roots+=("$CUDA_HOME/lib64" "$CUDA_HOME/lib")
  for d in /usr/local/cuda-13* /usr/local/cuda; do [[ -d "$d" ]] && roots+=("$d/lib64" "$d/targets/x86_64-linux/lib"); done
  for py in python3 python; do
    command -v "$py" >/dev/null 2>&1 || continue
    while IFS= read -r sp; do [[ -d "$sp/nvidia" ]] && roots+=("$sp/nvidia"); done < <("$py" - <<'PY' 2>/dev/null || true
import site, sys
paths = list(getattr(site, "getsitepackages", lambda: [])()) + [site.getusersitepackages()] + sys.path
print("\n".join(p for p in dict.fromkeys(paths) if p))
PY
)
    break
  done
fi

dirs=()
missing=()
for lib in "${libs[@]}"; do
  found=""
  for r in "${roots[@]}"; do
    [[ -d "$r" ]] || continue
    f=$(find -L "$r" -maxdepth 4 -name "$lib" \( -type f -o -type l \) 2>/dev/null | sort | head -n 1)
    if [[ -n "$f" ]]; then found=$(dirname "$f"); break; fi
  done
  if [[ -z "$found" ]]; then
    # Already resolvable through the loader's cache or the current LD_LIBRARY_PATH?
    if ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$lib "; then continue; fi
    hit=""
    IFS=: read -r -a cur <<<"${LD_LIBRARY_PATH:-}"
    for d in "${cur[@]}"; do [[ -n "$d" && -e "$d/$lib" ]] && hit=1; done
    [[ -n "$hit" ]] || missing+=("$lib")
    continue
  fi
  seen=""
  for d in "${dirs[@]}"; do [[ "$d" == "$found" ]] && seen=1; done
  [[ -n "$seen" ]] || dirs+=("$found")
done

out=$(IFS=:; echo "${dirs[*]}")
if [[ -n "${LD_LIBRARY_PATH:-}" ]]; then out="${out:+$out:}$LD_LIBRARY_PATH"; fi
echo "$out"
if (( ${#missing[@]} > 0 )); then
  echo "cuda-ld-path: not found: ${missing[*]} (pip install nvidia-cuda-runtime==13.* nvidia-cublas==13.* nvidia-curand==10.*, or a CUDA 13 toolkit)" >&2
  exit 1
fi
