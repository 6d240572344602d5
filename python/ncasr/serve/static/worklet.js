// ncasr capture worklet: hands the microphone's samples (mono, at the AudioContext's rate)
// to the page in batches of about 20 ms, so the main thread is not woken every 128 frames.
// The page posts "flush" when it stops: the worklet then sends what it holds and
// {flushed: true}, in that order, so nothing captured before Stop is lost.

class NcasrCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const wanted = (options && options.processorOptions && options.processorOptions.batchFrames) || 0;
    this.batchFrames = Math.max(128, wanted || Math.round(sampleRate * 0.02));
    this.buffer = new Float32Array(this.batchFrames);
    this.filled = 0;
    this.port.onmessage = (event) => {
      if (event.data === "flush") {
        this.send();
        this.port.postMessage({ flushed: true });
      }
    };
  }

  send() {
    if (this.filled === 0) return;
    const frames = this.buffer.slice(0, this.filled);
    this.port.postMessage({ samples: frames }, [frames.buffer]);
    this.filled = 0;
  }

  process(inputs) {
    const input = inputs[0];
    // No input connected (yet, or any more): nothing to capture, keep the node alive.
    if (!input || input.length === 0) return true;
    const mono = input[0]; // the node is set to channelCount 1: the browser downmixes
    let offset = 0;
    while (offset < mono.length) {
      const n = Math.min(mono.length - offset, this.batchFrames - this.filled);
      this.buffer.set(mono.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.batchFrames) this.send();
    }
    return true;
  }
}

registerProcessor("ncasr-capture", NcasrCapture);
