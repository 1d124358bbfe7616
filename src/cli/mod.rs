//! Helpers of the command line: secrets, output, progress, exit codes.

pub mod bundle;
pub mod case;
pub mod commands;
pub mod errors;
pub mod media;
pub mod output;
pub mod secrets;
