//! Okabe–Ito colours (colour-blind safe), plus neutral greys, and the colour of each tier.

use plotters::style::RGBColor;

use crate::contract::Tier;

/// Black.
pub const BLACK: RGBColor = RGBColor(0, 0, 0);
/// Orange.
pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
/// Sky blue.
pub const SKY: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
/// Bluish green.
pub const GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
/// Yellow.
pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
/// Blue.
pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
/// Vermillion.
pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
/// Reddish purple.
pub const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
/// Neutral grey (not Okabe–Ito; for "none"/"other").
pub const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
/// Text grey.
pub const TEXT_GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
/// Empty heat-map cells.
pub const EMPTY_CELL: RGBColor = RGBColor(0xF7, 0xF7, 0xF7);

/// The report model's tier code for accounts without a tier.
pub const NO_TIER: &str = "none";

/// Colour of a stored tier code (`S`…`C`); grey for "none" and anything else.
pub fn tier_color(tier: &str) -> RGBColor {
    match Tier::parse(tier) {
        Some(Tier::S) => VERMILLION,
        Some(Tier::A) => ORANGE,
        Some(Tier::B) => BLUE,
        Some(Tier::C) => GREEN,
        None => GREY,
    }
}
