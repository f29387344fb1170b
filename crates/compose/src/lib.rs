//! compose-spec loading (in progress).
