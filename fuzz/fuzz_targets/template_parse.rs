//! Any text as a WindFlow template, then resolved with the defaults: a template or
//! diagnostics, never a panic; a template that parses resolves or says which input is wrong.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::SeedableRng;
use windflow_catalog::{Choice, Template, resolve};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(template) = Template::parse("fuzz.yaml", &text) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let _ = resolve(&template, &Choice::default(), None, &mut rng);
    }
});
