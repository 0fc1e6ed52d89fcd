#!/usr/bin/env bash
# On the device: follow the training daemon for up to $1 seconds, then export its newest
# checkpoint to $OUT/default.safetensors and its TensorBoard logs to $OUT/tb.tgz.
run=${RUN:-/root/run}
end=$((SECONDS + $1))
while [ $SECONDS -lt $end ]; do
  sleep 20
  echo "[$SECONDS s] $(tr '\r' '\n' < /root/train.log | grep -v '^$' | tail -1 | cut -c1-160)"
  pgrep -f "voicebot train" >/dev/null || { echo "trainer not running"; break; }
done
tr '\r' '\n' < /root/train.log | grep -v "step/s" | tail -8
python3 -m voicebot export "$run" -o "$OUT/default.safetensors" --name default --fp16 \
  --display-name "voicebot 標準 (alpha / kumo)" --license "CC-BY-SA-4.0 (see models/README.md)" 2>&1 | tail -1
tar czf "$OUT/tb.tgz" -C "$run" logs
