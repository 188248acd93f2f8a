//! Image work, off the request path: metadata stripped from what is served (EXIF with its
//! GPS position, XMP, IPTC, comments), dimensions, and a thumbnail. Decoding is bounded
//! (pixels and memory), so a small file that claims to be huge cannot exhaust the server.

use std::io::Cursor;

use bytes::Bytes;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, metadata::Orientation};
use img_parts::{ImageEXIF, jpeg::Jpeg, jpeg::markers, png::Png, webp::WebP};

/// Images with more pixels than this are kept as plain files (no preview).
const MAX_PIXELS: u64 = 50_000_000;
/// The longest side of a thumbnail.
pub const THUMBNAIL_SIDE: u32 = 480;

/// The content types shown inline; everything else is served as a download.
pub const INLINE_TYPES: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

/// What processing made of an image.
pub struct Processed {
    /// The bytes to serve: the upload without its metadata.
    pub served: Bytes,
    pub width: u32,
    pub height: u32,
    /// The thumbnail and its content type.
    pub thumbnail: (Vec<u8>, &'static str),
}

/// Strips, measures and shrinks one image; an error means it is not a usable image (it is
/// then served as a plain file).
pub fn process(original: Bytes) -> anyhow::Result<Processed> {
    let format = image::guess_format(&original)?;
    let (mut image, turned) = decode(&original)?;
    let served = match (format, turned) {
        // A rotated photo loses its EXIF orientation with the rest of its EXIF: the
        // rotation is applied to the pixels instead.
        (ImageFormat::Jpeg, true) => encode_jpeg(&image, 90)?,
        _ => strip(format, original)?,
    };
    let (width, height) = (image.width(), image.height());
    if width > THUMBNAIL_SIDE || height > THUMBNAIL_SIDE {
        image = image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE);
    }
    Ok(Processed {
        served,
        width,
        height,
        thumbnail: encode_preview(&image)?,
    })
}

/// Decodes with bounded memory, applying the EXIF orientation; also says whether it had
/// to turn the image.
pub fn decode(bytes: &[u8]) -> anyhow::Result<(DynamicImage, bool)> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let (w, h) = decoder.dimensions();
    anyhow::ensure!(
        u64::from(w) * u64::from(h) <= MAX_PIXELS,
        "the image has too many pixels"
    );
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)?;
    let turned = orientation != Orientation::NoTransforms;
    image.apply_orientation(orientation);
    Ok((image, turned))
}

/// A small preview: JPEG, or PNG when the image has transparency.
pub fn encode_preview(image: &DynamicImage) -> anyhow::Result<(Vec<u8>, &'static str)> {
    if image.color().has_alpha() {
        let mut out = Cursor::new(Vec::new());
        image.write_to(&mut out, ImageFormat::Png)?;
        Ok((out.into_inner(), "image/png"))
    } else {
        Ok((encode_jpeg(image, 82)?.to_vec(), "image/jpeg"))
    }
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> anyhow::Result<Bytes> {
    let mut out = Vec::new();
    let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
    image.to_rgb8().write_with_encoder(encoder)?;
    Ok(out.into())
}

/// The image without metadata, its pixels untouched. GIF carries no EXIF; its comment and
/// application blocks are left as they are.
fn strip(format: ImageFormat, bytes: Bytes) -> anyhow::Result<Bytes> {
    Ok(match format {
        ImageFormat::Jpeg => {
            let mut jpeg = Jpeg::from_bytes(bytes)?;
            // APP0 (JFIF), APP2 (the colour profile) and APP14 (Adobe colour transform)
            // are needed to show the image right; every other APPn and comments are
            // metadata.
            jpeg.segments_mut().retain(|s| {
                let m = s.marker();
                !((markers::APP1..=markers::APP15).contains(&m)
                    && m != markers::APP2
                    && m != markers::APP14)
                    && m != markers::COM
            });
            jpeg.encoder().bytes()
        }
        ImageFormat::Png => {
            let mut png = Png::from_bytes(bytes)?;
            png.chunks_mut()
                .retain(|c| !matches!(&c.kind(), b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt" | b"tIME"));
            png.encoder().bytes()
        }
        ImageFormat::WebP => {
            let mut webp = WebP::from_bytes(bytes)?;
            webp.set_exif(None);
            webp.remove_chunks_by_id(*b"XMP ");
            webp.encoder().bytes()
        }
        _ => bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_exif() -> Bytes {
        let image = DynamicImage::new_rgb8(800, 600);
        let mut jpeg = Jpeg::from_bytes(encode_jpeg(&image, 80).unwrap()).unwrap();
        // A minimal EXIF block carrying a marker string where GPS data would be.
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(b"GPS-SECRET-52.5200N-13.4050E");
        jpeg.segments_mut().insert(
            1,
            img_parts::jpeg::JpegSegment::new_with_contents(markers::APP1, exif.into()),
        );
        jpeg.encoder().bytes()
    }

    #[test]
    fn metadata_is_stripped_and_a_thumbnail_made() {
        let original = jpeg_with_exif();
        assert!(original.windows(10).any(|w| w == b"GPS-SECRET"));
        let processed = process(original).unwrap();
        assert!(!processed.served.windows(10).any(|w| w == b"GPS-SECRET"));
        assert_eq!((processed.width, processed.height), (800, 600));
        let (thumb, kind) = processed.thumbnail;
        assert_eq!(kind, "image/jpeg");
        let small = image::load_from_memory(&thumb).unwrap();
        assert_eq!((small.width(), small.height()), (THUMBNAIL_SIDE, 360));
        // What is served still decodes to the same picture.
        let served = image::load_from_memory(&processed.served).unwrap();
        assert_eq!((served.width(), served.height()), (800, 600));
    }

    #[test]
    fn png_text_chunks_are_stripped() {
        let mut out = Cursor::new(Vec::new());
        DynamicImage::new_rgba8(10, 10)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        let mut png = Png::from_bytes(out.into_inner().into()).unwrap();
        let at = png.chunks().len() - 1;
        png.chunks_mut().insert(
            at,
            img_parts::png::PngChunk::new(*b"tEXt", Bytes::from_static(b"Comment\0GPS-SECRET")),
        );
        let processed = process(png.encoder().bytes()).unwrap();
        assert!(!processed.served.windows(10).any(|w| w == b"GPS-SECRET"));
        assert_eq!(processed.thumbnail.1, "image/png");
    }

    #[test]
    fn not_an_image_is_an_error() {
        assert!(process(Bytes::from_static(b"<html><script>alert(1)</script>")).is_err());
    }
}
