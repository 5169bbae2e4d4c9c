"""OCR of scanned PDF pages: the Tesseract reader and the pipeline step that uses it."""
