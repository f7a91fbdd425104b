//! Reading export files into raw records: encodings (UTF-8, UTF-8 BOM, UTF-16, GBK/GB18030),
//! delimiters (`,` `;` tab `|`), CSV, XLSX/XLS/ODS (calamine), JSON arrays, NDJSON and
//! Parquet. Every record keeps the 1-based line (CSV, NDJSON), row (XLSX) or element
//! number (JSON) it came from.

use std::fs::File;
use std::io::{BufReader, Read, Seek};
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;

/// Errors that stop the reading of a whole file.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot open {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is empty (no header row)")]
    Empty { path: PathBuf },
    #[error("{path} is not a text table: {why}")]
    NotText { path: PathBuf, why: String },
    #[error("cannot read {path}: {why}")]
    Format { path: PathBuf, why: String },
    #[error("{path}, line {line}: {why}")]
    Line {
        path: PathBuf,
        line: u64,
        why: String,
    },
}

impl ReadError {
    /// The error with its `hint:` line, as commands report it.
    pub fn into_hinted(self) -> anyhow::Error {
        crate::error::hinted(self.to_string(), self.hint())
    }

    pub fn hint(&self) -> &'static str {
        match self {
            ReadError::Open { .. } => "check the path and its permissions",
            ReadError::Empty { .. } => "export the table again with its header row, or remove the file",
            ReadError::NotText { .. } => "save the file as CSV (UTF-8, GBK or UTF-16), XLSX or JSON, or set `encoding` in the profile",
            ReadError::Format { .. } => "check that the file is a complete export in the format its extension says",
            ReadError::Line { .. } => "fix that line in the file (an unterminated quote swallows the rest of the file)",
        }
    }
}

/// A chunk of raw records, stored flat: every field's bytes back to back in one buffer and
/// every field's end in another, so that a chunk is a few allocations reused from chunk to
/// chunk (one `ByteRecord` per record was three allocations each, scattered over the heap,
/// and the parse waited on cache misses to reach them).
#[derive(Default)]
pub struct RecordBatch {
    /// Field bytes; `used` of them are filled (the rest is room for the CSV parser).
    data: Vec<u8>,
    used: usize,
    /// Field ends, relative to their record's first byte; `n_ends` are filled.
    ends: Vec<usize>,
    n_ends: usize,
    recs: Vec<RecordSpan>,
}

#[derive(Clone, Copy)]
struct RecordSpan {
    line: u64,
    /// The record's first byte in `data` and first end in `ends`.
    data: usize,
    ends: usize,
    fields: usize,
}

/// One raw record: the 1-based line (or row / element) it starts on and its fields as bytes.
#[derive(Clone, Copy)]
pub struct RawRecord<'a> {
    pub line: u64,
    pub fields: Fields<'a>,
}

impl<'a> RawRecord<'a> {
    /// Field `i` as trimmed text; `None` when absent, not UTF-8, empty or one of `nulls`
    /// (how the pre-passes — lookups, keys decided on the data — read a cell).
    pub fn text(&self, i: usize, nulls: &[String]) -> Option<&'a str> {
        self.fields
            .get(i)
            .and_then(|b| std::str::from_utf8(b).ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && !nulls.iter().any(|x| x == v))
    }
}

/// The fields of a [`RawRecord`].
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    /// The record's bytes (from its first field on).
    data: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Fields<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`, if the record has it.
    pub fn get(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        self.data.get(start..end)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let (data, ends) = (self.data, self.ends);
        ends.iter().scan(0, move |start, &end| {
            let f = data.get(*start..end).unwrap_or_default();
            *start = end;
            Some(f)
        })
    }
}

impl RecordBatch {
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    pub fn clear(&mut self) {
        self.used = 0;
        self.n_ends = 0;
        self.recs.clear();
    }

    /// Record `i` (panics when out of range, like a slice).
    pub fn get(&self, i: usize) -> RawRecord<'_> {
        let r = self.recs[i];
        RawRecord {
            line: r.line,
            fields: Fields {
                data: &self.data[r.data..self.used],
                ends: &self.ends[r.ends..r.ends + r.fields],
            },
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = RawRecord<'_>> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// Records `range` of the batch.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Batch<'_> {
        Batch { batch: self, range }
    }

    pub fn all(&self) -> Batch<'_> {
        self.slice(0..self.len())
    }

    /// Append a record made of `fields` (spreadsheet rows, JSON elements, tests).
    pub fn push<F: AsRef<[u8]>>(&mut self, line: u64, fields: impl IntoIterator<Item = F>) {
        let span = RecordSpan {
            line,
            data: self.used,
            ends: self.n_ends,
            fields: 0,
        };
        self.data.truncate(self.used);
        self.ends.truncate(self.n_ends);
        let mut n = 0;
        for f in fields {
            self.data.extend_from_slice(f.as_ref());
            self.ends.push(self.data.len() - span.data);
            n += 1;
        }
        self.used = self.data.len();
        self.n_ends = self.ends.len();
        self.recs.push(RecordSpan { fields: n, ..span });
    }

    /// Read one CSV record into the batch; `Ok(false)` at the end of the input.
    ///
    /// The line is where the record's first byte is: line ends and empty lines before it are
    /// skipped here and counted in `skipped` (the parser counts the newlines it reads, so
    /// it would give the line of the previous record's end: one line early after an empty
    /// line, and after every CRLF, whose LF it reads with the next record).
    fn read_csv<R: std::io::BufRead>(
        &mut self,
        src: &mut R,
        core: &mut csv_core::Reader,
        skipped: &mut u64,
    ) -> std::io::Result<bool> {
        use csv_core::ReadRecordResult::*;
        loop {
            let input = src.fill_buf()?;
            let n = input
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            *skipped += input[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            let more = n == input.len() && n > 0;
            src.consume(n);
            if !more {
                break;
            }
        }
        let span = RecordSpan {
            line: core.line() + *skipped,
            data: self.used,
            ends: self.n_ends,
            fields: 0,
        };
        let (mut out, mut n) = (self.used, self.n_ends);
        loop {
            if out == self.data.len() {
                self.data.resize((self.data.len() * 2).max(1 << 16), 0);
            }
            if n == self.ends.len() {
                self.ends.resize((self.ends.len() * 2).max(1 << 12), 0);
            }
            let input = src.fill_buf()?;
            let (res, nin, nout, nend) =
                core.read_record(input, &mut self.data[out..], &mut self.ends[n..]);
            src.consume(nin);
            out += nout;
            n += nend;
            match res {
                InputEmpty | OutputFull | OutputEndsFull => continue,
                Record => {
                    self.used = out;
                    self.n_ends = n;
                    self.recs.push(RecordSpan {
                        fields: n - span.ends,
                        ..span
                    });
                    return Ok(true);
                }
                End => return Ok(false),
            }
        }
    }
}

/// A range of a [`RecordBatch`]'s records (a chunk's half, for parsing on two threads).
#[derive(Clone)]
pub struct Batch<'a> {
    batch: &'a RecordBatch,
    range: std::ops::Range<usize>,
}

impl<'a> Batch<'a> {
    pub fn len(&self) -> usize {
        self.range.len()
    }

    pub fn is_empty(&self) -> bool {
        self.range.is_empty()
    }

    pub fn get(&self, i: usize) -> RawRecord<'a> {
        self.batch.get(self.range.start + i)
    }

    pub fn iter(&self) -> impl Iterator<Item = RawRecord<'a>> + 'a {
        let b = self.batch;
        self.range.clone().map(move |i| b.get(i))
    }

    /// Records `range` of this range.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Batch<'a> {
        let start = self.range.start + range.start;
        Batch {
            batch: self.batch,
            range: start..(self.range.start + range.end).min(self.range.end),
        }
    }
}

/// The records of a file, read a batch at a time ([`Records::read_batch`]). A read error
/// ends the records (it is reported once).
pub enum Records {
    Csv {
        src: BufReader<Box<dyn Read + Send>>,
        core: Box<csv_core::Reader>,
        /// Newlines skipped between records (see [`RecordBatch::read_csv`]).
        skipped: u64,
        path: PathBuf,
        done: bool,
    },
    /// Spreadsheet rows, JSON elements, Parquet rows: already in memory.
    Rows { batch: RecordBatch, next: usize },
}

impl Records {
    /// Read the remaining records `max` at a time into one reused batch and hand each batch
    /// to `f` (a read error ends it, with its hint).
    pub fn for_each_batch(
        &mut self,
        max: usize,
        mut f: impl FnMut(&RecordBatch) -> anyhow::Result<()>,
    ) -> anyhow::Result<()> {
        let mut batch = RecordBatch::default();
        loop {
            self.read_batch(&mut batch, max)
                .map_err(ReadError::into_hinted)?;
            if batch.is_empty() {
                return Ok(());
            }
            f(&batch)?;
        }
    }

    /// Read up to `max` records into `batch` (emptied first); an empty batch at the end.
    pub fn read_batch(&mut self, batch: &mut RecordBatch, max: usize) -> Result<(), ReadError> {
        batch.clear();
        match self {
            Records::Csv {
                src,
                core,
                skipped,
                path,
                done,
            } => {
                while !*done && batch.len() < max {
                    match batch.read_csv(src, core, skipped) {
                        Ok(true) => {}
                        Ok(false) => *done = true,
                        Err(e) => {
                            *done = true;
                            return Err(ReadError::Line {
                                path: path.clone(),
                                line: core.line() + *skipped,
                                why: e.to_string(),
                            });
                        }
                    }
                }
            }
            Records::Rows { batch: rows, next } => {
                let end = (*next + max).min(rows.len());
                for rec in rows.slice(*next..end).iter() {
                    batch.push(rec.line, rec.fields.iter());
                }
                *next = end;
            }
        }
        Ok(())
    }
}

/// A file (or sheet) opened for reading.
pub struct RawTable {
    pub headers: Vec<String>,
    /// `utf-8`, `utf-8-bom`, `gb18030`, `utf-16le`, `xlsx`, `json`, …
    pub encoding: String,
    /// The CSV delimiter, for reconstructing raw records of rejects.
    pub delimiter: u8,
    /// Total size in bytes (for progress).
    pub size: u64,
    pub records: Records,
    /// Bytes consumed so far (CSV only; others report 0 until done).
    pub position: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// The kind of file by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Excel,
    Json,
    Ndjson,
    Parquet,
}

impl FileKind {
    pub fn of(path: &Path) -> Option<FileKind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" | "tsv" | "txt" | "tab" => FileKind::Csv,
            "xlsx" | "xlsm" | "xlsb" | "xls" | "ods" => FileKind::Excel,
            "json" => FileKind::Json,
            "ndjson" | "jsonl" => FileKind::Ndjson,
            "parquet" => FileKind::Parquet,
            _ => return None,
        })
    }
}

/// Detect the encoding of a text file from its first bytes.
///
/// BOMs decide first; then UTF-16 without BOM (many NULs at odd or even positions); then
/// valid UTF-8; then GB18030 (a superset of GBK and GB2312) when it decodes without errors.
/// Anything else — binary data, NULs, undecodable bytes — is not a text table.
pub fn detect_encoding(head: &[u8]) -> Result<(&'static Encoding, &'static str), String> {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok((encoding_rs::UTF_8, "utf-8-bom"));
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Ok((encoding_rs::UTF_16LE, "utf-16le"));
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Ok((encoding_rs::UTF_16BE, "utf-16be"));
    }
    let sample = &head[..head.len().min(4096)];
    if sample.len() >= 4 {
        let even_nul = sample.iter().step_by(2).filter(|&&b| b == 0).count();
        let odd_nul = sample
            .iter()
            .skip(1)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count();
        let half = sample.len() / 2;
        if odd_nul * 10 > half * 3 && even_nul * 10 < half {
            return Ok((encoding_rs::UTF_16LE, "utf-16le"));
        }
        if even_nul * 10 > half * 3 && odd_nul * 10 < half {
            return Ok((encoding_rs::UTF_16BE, "utf-16be"));
        }
    }
    if head.contains(&0) {
        return Err("it contains NUL bytes (binary data?)".into());
    }
    // Valid UTF-8, allowing a multi-byte sequence cut at the end of the sample.
    match std::str::from_utf8(head) {
        Ok(_) => return Ok((encoding_rs::UTF_8, "utf-8")),
        Err(e) if e.error_len().is_none() && head.len() - e.valid_up_to() < 4 => {
            return Ok((encoding_rs::UTF_8, "utf-8"))
        }
        Err(_) => {}
    }
    // GBK/GB18030 text pairs its high bytes (common characters are two bytes ≥ 0xA1); text
    // in a Western single-byte code page (Excel's "CSV" on a European Windows: `STÜCK`,
    // `Schließfach`) has them alone between ASCII letters.
    if single_high_bytes(sample) && !looks_binary(head) {
        return Ok((encoding_rs::WINDOWS_1252, "windows-1252"));
    }
    let (_, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(trim_partial(head));
    if !had_errors && !looks_binary(head) {
        return Ok((encoding_rs::GB18030, "gb18030"));
    }
    Err("its encoding is not UTF-8, UTF-16 or GBK/GB18030 and it does not look like text".into())
}

/// Cut a possibly truncated trailing multi-byte sequence (for GB18030 sniffing).
/// Whether most runs of bytes ≥ 0x80 are one byte long (a single-byte code page, not GBK).
fn single_high_bytes(sample: &[u8]) -> bool {
    let (mut runs, mut singles, mut len) = (0usize, 0usize, 0usize);
    for &b in sample.iter().chain(std::iter::once(&b' ')) {
        if b >= 0x80 {
            len += 1;
            continue;
        }
        if len > 0 {
            runs += 1;
            singles += usize::from(len == 1);
        }
        len = 0;
    }
    runs > 0 && singles * 2 > runs
}

fn trim_partial(head: &[u8]) -> &[u8] {
    let mut end = head.len();
    while end > 0 && head.len() - end < 4 && head[end - 1] >= 0x80 {
        end -= 1;
    }
    if end == 0 {
        head
    } else {
        &head[..end]
    }
}

/// Control characters other than tab/CR/LF in quantity mean binary data.
fn looks_binary(head: &[u8]) -> bool {
    let ctrl = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n'))
        .count();
    ctrl * 100 > head.len().max(1)
}

/// Pick the delimiter that splits the header line into the most fields (outside quotes).
pub fn detect_delimiter(first_line: &str) -> u8 {
    let mut best = (b',', 0usize);
    for d in [b',', b';', b'\t', b'|'] {
        let mut n = 0;
        let mut quoted = false;
        for b in first_line.bytes() {
            if b == b'"' {
                quoted = !quoted;
            } else if b == d && !quoted {
                n += 1;
            }
        }
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// Open a file (XLSX: one sheet) as raw records.
pub fn open(
    path: &Path,
    sheet: Option<&str>,
    encoding: &str,
    delimiter: &str,
) -> Result<RawTable, ReadError> {
    match FileKind::of(path) {
        Some(FileKind::Excel) => open_excel(path, sheet),
        Some(FileKind::Json) => open_json(path, false),
        Some(FileKind::Ndjson) => open_json(path, true),
        Some(FileKind::Parquet) => open_parquet(path),
        _ => open_csv(path, encoding, delimiter),
    }
}

fn open_err(path: &Path) -> impl Fn(std::io::Error) -> ReadError + '_ {
    move |source| ReadError::Open {
        path: path.to_path_buf(),
        source,
    }
}

/// A `Read` that counts bytes consumed (for the progress bar).
struct Counting<R> {
    inner: R,
    pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

fn open_csv(path: &Path, encoding: &str, delimiter: &str) -> Result<RawTable, ReadError> {
    let mut file = File::open(path).map_err(open_err(path))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size == 0 {
        return Err(ReadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut head = vec![0u8; 64 * 1024];
    let n = read_full(&mut file, &mut head).map_err(open_err(path))?;
    head.truncate(n);
    let (enc, enc_name) = if encoding.eq_ignore_ascii_case("auto") {
        detect_encoding(&head).map_err(|why| ReadError::NotText {
            path: path.to_path_buf(),
            why,
        })?
    } else {
        let enc = Encoding::for_label(encoding.as_bytes()).ok_or_else(|| ReadError::Format {
            path: path.to_path_buf(),
            why: format!("unknown encoding `{encoding}` in the profile"),
        })?;
        (enc, enc.name())
    };
    file.rewind().map_err(open_err(path))?;
    let pos = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counting = Counting {
        inner: file,
        pos: pos.clone(),
    };
    // UTF-8 is read as is (BOM stripped below); everything else is transcoded as a stream.
    let reader: Box<dyn Read + Send> = if enc == encoding_rs::UTF_8 {
        Box::new(counting)
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(enc))
                .bom_override(true)
                .build(counting),
        )
    };
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    // Decoded first line, for the delimiter.
    let decoded_head = if enc == encoding_rs::UTF_8 {
        String::from_utf8_lossy(&head).into_owned()
    } else {
        enc.decode(&head).0.into_owned()
    };
    let first_line = decoded_head
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("");
    let delim = match delimiter {
        "auto" | "" => detect_delimiter(first_line),
        "\\t" | "tab" => b'\t',
        d => d.as_bytes()[0],
    };
    // Strip a UTF-8 BOM (the transcoder strips other BOMs).
    if enc == encoding_rs::UTF_8 && head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        let mut bom = [0u8; 3];
        reader.read_exact(&mut bom).map_err(open_err(path))?;
    }
    let core = csv_core::ReaderBuilder::new().delimiter(delim).build();
    let mut records = Records::Csv {
        src: reader,
        core: Box::new(core),
        skipped: 0,
        path: path.to_path_buf(),
        done: false,
    };
    let mut header = RecordBatch::default();
    records.read_batch(&mut header, 1)?;
    if header.is_empty() {
        return Err(ReadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let headers = header
        .get(0)
        .fields
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect();
    Ok(RawTable {
        headers,
        encoding: enc_name.to_string(),
        delimiter: delim,
        size,
        records,
        position: pos,
    })
}

fn read_full(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

fn table_from_rows(
    path: &Path,
    encoding: &str,
    headers: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
) -> Result<RawTable, ReadError> {
    if headers.is_empty() {
        return Err(ReadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut batch = RecordBatch::default();
    for (line, fields) in &rows {
        batch.push(*line, fields);
    }
    Ok(RawTable {
        headers,
        encoding: encoding.to_string(),
        delimiter: b',',
        size,
        records: Records::Rows { batch, next: 0 },
        position: std::sync::Arc::new(std::sync::atomic::AtomicU64::new(size)),
    })
}

/// The sheet names of a workbook.
pub fn excel_sheets(path: &Path) -> Result<Vec<String>, ReadError> {
    let wb = calamine::open_workbook_auto(path).map_err(|e| ReadError::Format {
        path: path.to_path_buf(),
        why: e.to_string(),
    })?;
    Ok(calamine::Reader::sheet_names(&wb))
}

fn open_excel(path: &Path, sheet: Option<&str>) -> Result<RawTable, ReadError> {
    use calamine::{Data, Reader};
    let fmt_err = |why: String| ReadError::Format {
        path: path.to_path_buf(),
        why,
    };
    let mut wb = calamine::open_workbook_auto(path).map_err(|e| fmt_err(e.to_string()))?;
    let name = match sheet {
        Some(s) => s.to_string(),
        None => wb
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| fmt_err("the workbook has no sheet".into()))?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| fmt_err(format!("sheet `{name}`: {e}")))?;
    let start_row = range.start().map(|(r, _)| r as u64).unwrap_or(0);
    let cell = |c: &Data| -> String {
        match c {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            Data::DateTime(dt) => super::parse::excel_serial_to_date(dt.as_f64())
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| dt.as_f64().to_string()),
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("#{e:?}"),
        }
    };
    let mut rows = range.rows();
    let headers: Vec<String> = match rows.next() {
        Some(r) => r.iter().map(|c| cell(c).trim().to_string()).collect(),
        None => {
            return Err(ReadError::Empty {
                path: path.to_path_buf(),
            })
        }
    };
    let data = rows
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| !matches!(c, Data::Empty)))
        .map(|(i, r)| (start_row + i as u64 + 2, r.iter().map(cell).collect()))
        .collect();
    table_from_rows(path, "xlsx", headers, data)
}

fn json_cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn open_json(path: &Path, ndjson: bool) -> Result<RawTable, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReadError::NotText {
        path: path.to_path_buf(),
        why: format!("not UTF-8 JSON ({e})"),
    })?;
    let text = text.trim_start_matches('\u{feff}');
    if text.trim().is_empty() {
        return Err(ReadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut objects: Vec<(u64, serde_json::Map<String, serde_json::Value>)> = Vec::new();
    let bad = |line: u64, why: String| ReadError::Line {
        path: path.to_path_buf(),
        line,
        why,
    };
    if ndjson {
        for (i, l) in text.lines().enumerate() {
            if l.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<serde_json::Value>(l) {
                Ok(serde_json::Value::Object(o)) => objects.push((i as u64 + 1, o)),
                Ok(_) => return Err(bad(i as u64 + 1, "not a JSON object".into())),
                Err(e) => return Err(bad(i as u64 + 1, e.to_string())),
            }
        }
    } else {
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(e.line() as u64, e.to_string()))?;
        let arr = match v {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(mut o) => {
                // {"records": [...]} / {"data": [...]} / {"value": [...]} (Dynamics OData)
                let key = ["records", "data", "value", "results", "rows"]
                    .into_iter()
                    .find(|k| o.get(*k).is_some_and(|v| v.is_array()));
                match key.and_then(|k| o.remove(k)) {
                    Some(serde_json::Value::Array(a)) => a,
                    _ => {
                        return Err(ReadError::Format {
                            path: path.to_path_buf(),
                            why: "expected an array of objects (or {\"records\": [...]})".into(),
                        })
                    }
                }
            }
            _ => {
                return Err(ReadError::Format {
                    path: path.to_path_buf(),
                    why: "expected an array of objects".into(),
                })
            }
        };
        for (i, item) in arr.into_iter().enumerate() {
            match item {
                serde_json::Value::Object(o) => objects.push((i as u64 + 1, o)),
                _ => {
                    return Err(bad(
                        i as u64 + 1,
                        format!("element {} is not an object", i + 1),
                    ))
                }
            }
        }
    }
    let mut headers: Vec<String> = Vec::new();
    for (_, o) in &objects {
        for k in o.keys() {
            if !headers.contains(k) {
                headers.push(k.clone());
            }
        }
    }
    if headers.is_empty() {
        return Err(ReadError::Empty {
            path: path.to_path_buf(),
        });
    }
    let rows = objects
        .into_iter()
        .map(|(line, o)| {
            (
                line,
                headers
                    .iter()
                    .map(|h| o.get(h).map(json_cell).unwrap_or_default())
                    .collect(),
            )
        })
        .collect();
    table_from_rows(path, if ndjson { "ndjson" } else { "json" }, headers, rows)
}

fn open_parquet(path: &Path) -> Result<RawTable, ReadError> {
    use polars::prelude::*;
    let fmt_err = |why: String| ReadError::Format {
        path: path.to_path_buf(),
        why,
    };
    let file = File::open(path).map_err(open_err(path))?;
    let df = ParquetReader::new(file)
        .finish()
        .map_err(|e| fmt_err(e.to_string()))?;
    let headers: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut cols = Vec::new();
    for c in df.columns() {
        let s = c.as_materialized_series();
        let s = if s.dtype() == &DataType::Date {
            s.cast(&DataType::String)
                .map_err(|e| fmt_err(e.to_string()))?
        } else {
            s.cast(&DataType::String)
                .map_err(|e| fmt_err(e.to_string()))?
        };
        cols.push(s);
    }
    let mut rows = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let mut fields = Vec::with_capacity(cols.len());
        for s in &cols {
            let v = s
                .str()
                .ok()
                .and_then(|ca| ca.get(i))
                .unwrap_or("")
                .to_string();
            fields.push(v);
        }
        rows.push((i as u64 + 1, fields));
    }
    table_from_rows(path, "parquet", headers, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_detected() {
        assert_eq!(detect_encoding("a,b\n1,2".as_bytes()).unwrap().1, "utf-8");
        assert_eq!(detect_encoding(b"\xEF\xBB\xBFa,b").unwrap().1, "utf-8-bom");
        assert_eq!(
            detect_encoding("名称,行业\n".as_bytes()).unwrap().1,
            "utf-8"
        );
        let (gbk, _, _) = encoding_rs::GBK.encode("名称,行业\n华为技术有限公司,通信\n");
        assert_eq!(detect_encoding(&gbk).unwrap().1, "gb18030");
        let utf16: Vec<u8> = "id,name\n1,x\n"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(detect_encoding(&utf16).unwrap().1, "utf-16le");
        let mut bom16 = vec![0xFF, 0xFE];
        bom16.extend(&utf16);
        assert_eq!(detect_encoding(&bom16).unwrap().1, "utf-16le");
        let garbage: Vec<u8> = (0..2000u32).map(|i| (i * 7919 % 251) as u8).collect();
        assert!(detect_encoding(&garbage).is_err());
    }

    #[test]
    fn truncated_utf8_sample_is_still_utf8() {
        let s = "名称".repeat(10);
        let bytes = &s.as_bytes()[..s.len() - 1];
        assert_eq!(detect_encoding(bytes).unwrap().1, "utf-8");
    }

    fn csv_records(text: &[u8], buf: usize) -> Records {
        Records::Csv {
            src: BufReader::with_capacity(buf, Box::new(std::io::Cursor::new(text.to_vec()))),
            core: Box::new(csv_core::Reader::new()),
            skipped: 0,
            path: "t.csv".into(),
            done: false,
        }
    }

    fn read_all(mut r: Records, max: usize) -> Vec<(u64, Vec<String>)> {
        let mut out = Vec::new();
        let mut batch = RecordBatch::default();
        loop {
            r.read_batch(&mut batch, max).unwrap();
            if batch.is_empty() {
                return out;
            }
            for rec in batch.iter() {
                let f = rec.fields.iter();
                out.push((
                    rec.line,
                    f.map(|b| String::from_utf8_lossy(b).into()).collect(),
                ));
            }
        }
    }

    /// Records are what the `csv` crate reads (fields), on the line their first byte is on,
    /// whatever the input buffer size and the batch size (records and fields cut across
    /// buffer refills, batches reused, fields and records larger than the initial buffers).
    #[test]
    fn csv_batches_read_records_and_their_first_lines() {
        let big = "x".repeat(70_000);
        let many = vec!["f"; 5000].join(",");
        let text = format!(
            "a,b,c\r\n1,\"two\r\nlines\",3\r\n\r\n\n4,\"say \"\"hi\"\"\",6\nragged\n{big},y,z\n{many}\n7,8,9"
        );
        // a,b,c | 1,"two | lines",3 | (empty) | (empty) | 4,… | ragged | big | many | 7,8,9
        let expected_lines = [1, 2, 6, 7, 8, 9, 10];
        let mut want: Vec<Vec<String>> = Vec::new();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        for r in rdr.byte_records() {
            let r = r.unwrap();
            want.push(
                r.iter()
                    .map(|b| String::from_utf8_lossy(b).into())
                    .collect(),
            );
        }
        assert_eq!(want.len(), expected_lines.len());
        for buf in [1, 3, 64, 1 << 20] {
            for max in [1, 2, 1000] {
                let got = read_all(csv_records(text.as_bytes(), buf), max);
                let lines: Vec<u64> = got.iter().map(|(l, _)| *l).collect();
                assert_eq!(lines, expected_lines, "buffer {buf}, batch {max}");
                let fields: Vec<Vec<String>> = got.into_iter().map(|(_, f)| f).collect();
                assert!(fields == want, "buffer {buf}, batch {max}");
            }
        }
    }

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter("a,b,c"), b',');
        assert_eq!(detect_delimiter("a;b;c"), b';');
        assert_eq!(detect_delimiter("a\tb\tc"), b'\t');
        assert_eq!(detect_delimiter("\"a;x\",b,c"), b',');
        assert_eq!(detect_delimiter("a|b|c"), b'|');
    }
}
