//! The QR code a screen being set up shows beside its pairing code: the admin page that
//! pairs it, with the code filled in, so a manager scans it with a phone instead of typing.
//! Encoded by the `qrcode` crate and drawn here as a small SVG (one path, a run of dark
//! modules per stroke), sent inside the pairing's answer: nothing is fetched at run time.

use qrcode::{Color, EcLevel, QrCode};
use std::fmt::Write;

/// The admin page that pairs a screen showing `code`, on the origin the screen reached crema
/// by (a path alone when that is unknown).
pub fn pair_url(origin: Option<&str>, code: &str) -> String {
    format!("{}/admin/people?pair={code}", origin.unwrap_or(""))
}

/// The white border around the code, in modules: the four the QR standard asks for, so a
/// phone finds it on any background.
const QUIET: usize = 4;

/// `text` as a QR code in SVG, black on white, one unit per module. `None` only if `text` is
/// too long for any QR code (a pairing URL is far below that).
pub fn svg(text: &str) -> Option<String> {
    // Level M: readable with a smudge or a reflection on the screen, still few modules.
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    let n = code.width();
    let colors = code.to_colors();
    let side = n + 2 * QUIET;
    let mut path = String::new();
    for y in 0..n {
        let row = &colors[y * n..(y + 1) * n];
        let mut x = 0;
        while x < n {
            if row[x] == Color::Dark {
                let start = x;
                while x < n && row[x] == Color::Dark {
                    x += 1;
                }
                let len = x - start;
                let _ = write!(path, "M{} {}h{len}v1h-{len}z", start + QUIET, y + QUIET);
            } else {
                x += 1;
            }
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Draws an SVG made by [`svg`] back into pixels (`scale` per module), by its own rules:
    /// the view box's side, then each `M x y h len v1 h-len z` stroke.
    fn raster(svg: &str, scale: usize) -> (usize, Vec<bool>) {
        let side: usize = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|r| r.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("a view box");
        let d = svg
            .split(" d=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("a path");
        let w = side * scale;
        let mut px = vec![false; w * w];
        for stroke in d.split('M').filter(|s| !s.is_empty()) {
            let (xy, rest) = stroke.split_once('h').expect("a run");
            let (x, y) = xy.split_once(' ').expect("x and y");
            let (x, y): (usize, usize) = (x.parse().expect("x"), y.parse().expect("y"));
            let len: usize = rest
                .split_once('v')
                .and_then(|(l, _)| l.parse().ok())
                .expect("a length");
            assert!(rest.ends_with(&format!("v1h-{len}z")), "{stroke}");
            for yy in y * scale..(y + 1) * scale {
                for xx in x * scale..(x + len) * scale {
                    px[yy * w + xx] = true;
                }
            }
        }
        (w, px)
    }

    #[test]
    fn the_svg_reads_back_as_the_pairing_url() {
        let url = pair_url(Some("https://cafe.example:4000"), "K7M4QX");
        assert_eq!(url, "https://cafe.example:4000/admin/people?pair=K7M4QX");
        let svg = svg(&url).expect("a QR code");
        assert!(
            svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
            "{svg}"
        );
        let (w, px) = raster(&svg, 4);
        let mut img =
            rqrr::PreparedImage::prepare_from_greyscale(
                w,
                w,
                |x, y| {
                    if px[y * w + x] {
                        0
                    } else {
                        255
                    }
                },
            );
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the picture");
        let (_, text) = grids[0].decode().expect("it decodes");
        assert_eq!(text, url);
    }

    #[test]
    fn without_an_origin_the_url_is_a_path() {
        assert_eq!(pair_url(None, "ABC234"), "/admin/people?pair=ABC234");
    }
}
