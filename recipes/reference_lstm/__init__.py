"""Reference streaming LSTM transducer recipe (synthetic speech -> icefall LSTM contract -> ncnn)."""
