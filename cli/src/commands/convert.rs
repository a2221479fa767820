//! `mapwright convert`
/// Arguments of `convert`.
#[derive(clap::Args)]
pub struct Args {}
pub fn run(_args: Args) -> u8 {
    eprintln!("convert is not built yet");
    super::exit::USAGE
}
