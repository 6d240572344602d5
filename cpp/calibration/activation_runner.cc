#include "calibration/activation_runner.h"

#include <algorithm>
#include <cstring>

#include "common/errors.h"
#include "features/fbank.h"
#include "features/resampler.h"
#include "model/param_file.h"

namespace ncasr {

const std::set<std::string>& default_calibration_types() {
  static const std::set<std::string> types = {"InnerProduct", "Convolution", "ConvolutionDepthWise", "Convolution1D",
                                              "ConvolutionDepthWise1D"};
  return types;
}

ActivationRunner::ActivationRunner(const ModelFiles& files, int num_threads, const std::set<std::string>& types) {
  ModelOptions options;
  options.runtime.num_threads = num_threads;
  options.runtime.use_fp16_storage = false;  // calibrate the float model as it is, in fp32
  model_ = std::make_unique<TransducerModel>(files, options);
  const std::pair<const char*, const NetFiles*> nets[] = {
      {"encoder", &files.encoder}, {"decoder", &files.decoder}, {"joiner", &files.joiner}};
  for (const auto& [net, nf] : nets) {
    ParamFile pf = ParamFile::load(nf->param);
    for (const auto& l : pf.layers) {
      if (!types.count(l.type) || l.bottoms.empty()) continue;
      BlobProbe& probe = std::string(net) == "encoder"   ? encoder_probe_
                         : std::string(net) == "decoder" ? decoder_probe_
                                                         : joiner_probe_;
      auto& ids = std::string(net) == "encoder"   ? encoder_ids_
                  : std::string(net) == "decoder" ? decoder_ids_
                                                  : joiner_ids_;
      ids.push_back(targets_.size());
      probe.blobs.push_back(l.bottoms[0]);
      targets_.push_back({net, l.name, l.type, l.bottoms[0]});
    }
  }
}

int ActivationRunner::run(const float* samples, size_t n, int sample_rate, const Observer& observe,
                          float tail_padding) const {
  if (n == 0) throw AudioError("calibration audio is empty");
  FbankOptions fopts;
  OnlineFbank fbank(fopts);
  std::vector<float> audio(samples, samples + n);
  audio.resize(n + static_cast<size_t>(tail_padding * sample_rate), 0.f);
  if (sample_rate != static_cast<int>(fopts.sample_rate)) {
    LinearResampler r(sample_rate, static_cast<int>(fopts.sample_rate));
    std::vector<float> out;
    r.resample(audio.data(), audio.size(), true, &out);
    audio.swap(out);
  }
  fbank.accept_waveform(audio.data(), audio.size());
  fbank.input_finished();

  auto bind = [&observe](const BlobProbe& lists, const std::vector<size_t>& ids) {
    BlobProbe p;
    p.blobs = lists.blobs;
    p.on_blob = [&observe, &ids](size_t i, const ncnn::Mat& m) { observe(ids[i], m); };
    return p;
  };
  const BlobProbe enc_probe = bind(encoder_probe_, encoder_ids_);
  const BlobProbe dec_probe = bind(decoder_probe_, decoder_ids_);
  const BlobProbe join_probe = bind(joiner_probe_, joiner_ids_);

  const EncoderSpec& spec = model_->spec();
  std::vector<ncnn::Mat> states = model_->initial_states();
  std::vector<int> tokens;  // greedy decoding, as at inference, feeds decoder and joiner
  int context[TransducerModel::kContextSize];
  std::copy(model_->initial_context(), model_->initial_context() + TransducerModel::kContextSize, context);
  ncnn::Mat decoder_out = model_->run_decoder(context, &dec_probe);
  ncnn::Mat feats(fbank.dim(), spec.segment);
  int chunks = 0;
  for (int start = 0; fbank.num_frames_ready() > start + spec.segment; start += spec.offset) {
    for (int i = 0; i < spec.segment; ++i)
      std::memcpy(feats.row(i), fbank.frame(start + i), sizeof(float) * fbank.dim());
    ncnn::Mat enc = model_->run_encoder(feats, &states, &enc_probe);
    ++chunks;
    for (int t = 0; t < enc.h; ++t) {
      ncnn::Mat frame(enc.w, const_cast<float*>(enc.row(t)));
      ncnn::Mat logits = model_->run_joiner(frame, decoder_out, &join_probe);
      const float* p = logits;
      const int y = static_cast<int>(std::max_element(p, p + logits.w) - p);
      if (y != TransducerModel::kBlank && y != TransducerModel::kUnk) {
        context[0] = context[1];
        context[1] = y;
        decoder_out = model_->run_decoder(context, &dec_probe);
      }
    }
  }
  return chunks;
}

}  // namespace ncasr
