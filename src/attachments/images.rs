//! Image work, off the request path: metadata stripped from what is served (EXIF with its
//! GPS position, XMP, IPTC, comments), dimensions, and a thumbnail. Decoding is bounded
//! (pixels and memory), so a small file that claims to be huge cannot exhaust the server.

use std::io::Cursor;

use bytes::Bytes;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, metadata::Orientation};
use img_parts::{ImageEXIF, jpeg::Jpeg, jpeg::markers, png::Png, webp::WebP};

/// Images that decode to more than this are kept as plain files (no preview): a small
/// file can claim to be huge, and decoding is what costs the memory.
pub const MAX_DECODED_BYTES: u64 = 160 * 1024 * 1024;
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
    limits.max_alloc = Some(MAX_DECODED_BYTES + 16 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    anyhow::ensure!(
        decoder.total_bytes() <= MAX_DECODED_BYTES,
        "the image is too large to decode"
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

/// The image without its metadata, not decoded (for images too large to decode, or that do
/// not decode): JPEG, PNG and WebP containers; anything else is an error.
pub fn strip_only(bytes: Bytes) -> anyhow::Result<Bytes> {
    let format = image::guess_format(&bytes)?;
    anyhow::ensure!(
        matches!(
            format,
            ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
        ),
        "no metadata container known for {format:?}"
    );
    strip(format, bytes)
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
    fn an_image_too_large_to_decode_still_loses_its_metadata() {
        // A tiny file whose header claims 20000 × 20000 pixels (1.2 GB decoded).
        let mut out = Cursor::new(Vec::new());
        DynamicImage::new_rgb8(1, 1)
            .write_to(&mut out, ImageFormat::Png)
            .unwrap();
        let mut png = Png::from_bytes(out.into_inner().into()).unwrap();
        let mut header = png.chunk_by_type(*b"IHDR").unwrap().contents().to_vec();
        header[0..4].copy_from_slice(&20_000u32.to_be_bytes());
        header[4..8].copy_from_slice(&20_000u32.to_be_bytes());
        png.chunks_mut()[0] = img_parts::png::PngChunk::new(*b"IHDR", header.into());
        png.chunks_mut().insert(
            1,
            img_parts::png::PngChunk::new(*b"tEXt", Bytes::from_static(b"Comment\0GPS-SECRET")),
        );
        let bytes = png.encoder().bytes();
        assert!(process(bytes.clone()).is_err(), "not decoded");
        let stripped = strip_only(bytes).unwrap();
        assert!(!stripped.windows(10).any(|w| w == b"GPS-SECRET"));
    }

    #[test]
    fn not_an_image_is_an_error() {
        assert!(process(Bytes::from_static(b"<html><script>alert(1)</script>")).is_err());
    }
}
