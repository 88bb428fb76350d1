//! [`LinearModel`]: weights, bias, and the forward / backward / step of the
//! notebook.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;

use crate::{Error, Float, Result, check, narrow_rows};

/// A linear model `ŷ = x·W + b` that owns its parameters and their gradients.
///
/// For `m` samples with `p` features and `k` outputs, `x` is m × p,
/// `W` ([`weight`](Self::weight)) is p × k, `b` ([`bias`](Self::bias)) has k
/// entries and `ŷ` is m × k. It is the notebook's `LinearModel`, split into
/// three separate steps so that each one can be read and tested alone:
///
/// * [`forward`](Self::forward) computes `ŷ = x·W + b` and changes nothing;
/// * [`backward`](Self::backward) takes the upstream gradient `G = ∂L/∂ŷ`
///   and fills `∂L/∂W = xᵀ·G` and `∂L/∂b = Σᵢ Gᵢ` (sum over rows);
/// * [`step`](Self::step) moves the parameters against their gradients.
///
/// Unlike the notebook, the model knows nothing of the penalty: the
/// regularisation gradient belongs to [`ElasticLoss`](crate::ElasticLoss).
///
/// ```
/// use elasticnet::{ElasticLoss, LinearModel};
/// use ndarray::array;
///
/// let x = array![[1.0], [2.0], [3.0]];
/// let y = array![[2.0], [4.0], [6.0]];
/// let mut model = LinearModel::<f64>::zeros(1, 1);
/// let loss = ElasticLoss::new(0.0, 0.0)?;
/// for _ in 0..500 {
///     let y_hat = model.forward(x.view());
///     let upstream = loss.grad_output(y.view(), y_hat.view());
///     model.backward(x.view(), upstream.view());
///     model.step(0.2);
/// }
/// assert!((model.weight[[0, 0]] - 2.0).abs() < 1e-3);
/// assert!(model.bias[0].abs() < 1e-2);
/// # Ok::<(), elasticnet::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct LinearModel<F = f64> {
    /// `W`, p × k.
    pub weight: Array2<F>,
    /// `b`, one entry per output.
    pub bias: Array1<F>,
    /// `∂L/∂W` from the last [`backward`](Self::backward), p × k.
    pub weight_grad: Array2<F>,
    /// `∂L/∂b` from the last [`backward`](Self::backward), k entries.
    pub bias_grad: Array1<F>,
}

impl<F: Float> LinearModel<F> {
    /// A model with weights drawn from `N(0, 2/input_dim)` (He
    /// initialisation, as in the notebook) and zero bias.
    ///
    /// The caller owns the random number generator, so a seeded one gives the
    /// same model every time.
    ///
    /// ```
    /// use elasticnet::LinearModel;
    /// use rand::{SeedableRng, rngs::StdRng};
    /// let a: LinearModel = LinearModel::new(3, 2, &mut StdRng::seed_from_u64(7));
    /// let b: LinearModel = LinearModel::new(3, 2, &mut StdRng::seed_from_u64(7));
    /// assert_eq!(a, b);
    /// assert_eq!(a.weight.dim(), (3, 2));
    /// assert!(a.bias.iter().all(|&b| b == 0.0));
    /// ```
    pub fn new<R: Rng + ?Sized>(input_dim: usize, output_dim: usize, rng: &mut R) -> Self {
        let std = (2.0 / input_dim.max(1) as f64).sqrt();
        let weight = Array2::from_shape_simple_fn((input_dim, output_dim), || {
            F::sample_standard_normal(rng) * F::cast(std)
        });
        Self::from_parameters(weight, Array1::zeros(output_dim))
    }

    /// A model whose weights and bias are all zero (the usual starting point
    /// of a convex solver).
    ///
    /// ```
    /// let m = elasticnet::LinearModel::<f32>::zeros(4, 1);
    /// assert_eq!(m.weight.sum(), 0.0);
    /// ```
    pub fn zeros(input_dim: usize, output_dim: usize) -> Self {
        Self::from_parameters(
            Array2::zeros((input_dim, output_dim)),
            Array1::zeros(output_dim),
        )
    }

    /// A model with the given weights (p × k) and bias (k), and zero
    /// gradients.
    ///
    /// # Panics
    ///
    /// If `bias.len()` is not `weight.ncols()`.
    ///
    /// ```
    /// use ndarray::array;
    /// let m = elasticnet::LinearModel::from_parameters(array![[2.0]], array![1.0]);
    /// assert_eq!(m.forward(array![[3.0]].view()), array![[7.0]]);
    /// ```
    pub fn from_parameters(weight: Array2<F>, bias: Array1<F>) -> Self {
        assert_eq!(
            weight.ncols(),
            bias.len(),
            "bias needs one entry per column of weight"
        );
        let weight_grad = Array2::zeros(weight.raw_dim());
        let bias_grad = Array1::zeros(bias.raw_dim());
        Self {
            weight,
            bias,
            weight_grad,
            bias_grad,
        }
    }

    /// Number of input features `p`.
    pub fn n_features(&self) -> usize {
        self.weight.nrows()
    }

    /// Number of outputs `k`.
    pub fn n_targets(&self) -> usize {
        self.weight.ncols()
    }

    /// `ŷ = x·W + b` (m × k). Pure: the model is not changed.
    ///
    /// # Panics
    ///
    /// If `x` does not have [`n_features`](Self::n_features) columns. Use
    /// [`predict`](Self::predict) for checked input.
    pub fn forward(&self, x: ArrayView2<F>) -> Array2<F> {
        let mut y_hat = x.dot(&self.weight);
        y_hat += &self.bias;
        y_hat
    }

    /// [`forward`](Self::forward) with the input checked first.
    ///
    /// # Errors
    ///
    /// [`Error::ShapeMismatch`] if `x` does not have
    /// [`n_features`](Self::n_features) columns (or the model's `bias` does
    /// not have one entry per column of `weight`), [`Error::EmptyInput`] if it
    /// has no rows, [`Error::NonFinite`] if it holds NaN or infinity, and
    /// [`Error::NonFiniteSolution`] if the model's own parameters are not
    /// finite.
    ///
    /// ```
    /// use ndarray::array;
    /// use elasticnet::{Error, LinearModel};
    /// let m = LinearModel::<f64>::zeros(2, 1);
    /// assert!(m.predict(array![[1.0, 2.0]].view()).is_ok());
    /// assert!(matches!(m.predict(array![[1.0]].view()), Err(Error::ShapeMismatch { .. })));
    /// ```
    pub fn predict(&self, x: ArrayView2<F>) -> Result<Array2<F>> {
        if x.ncols() != self.n_features() {
            return Err(Error::ShapeMismatch {
                what: "columns of x vs features of the model",
                expected: vec![x.nrows(), self.n_features()],
                found: vec![x.nrows(), x.ncols()],
            });
        }
        if x.nrows() == 0 {
            return Err(Error::EmptyInput { what: "x" });
        }
        check::finite("x", x)?;
        if self.bias.len() != self.n_targets() {
            // The fields are public, so the model itself can be inconsistent.
            return Err(Error::ShapeMismatch {
                what: "bias vs columns of weight",
                expected: vec![self.n_targets()],
                found: vec![self.bias.len()],
            });
        }
        if !self.is_finite() {
            return Err(Error::NonFiniteSolution { n_iter: 0 });
        }
        Ok(self.forward(x))
    }

    /// Fills the gradients from the upstream gradient `G = ∂L/∂ŷ` (m × k):
    ///
    /// `∂L/∂W = xᵀ·G` (p × k) and `∂L/∂b = Σᵢ Gᵢ` (the column sums of `G`).
    ///
    /// With `G` from [`ElasticLoss::grad_output`](crate::ElasticLoss::grad_output)
    /// — which already holds the `1/m` — these are the gradients of the data
    /// term of the loss; add
    /// [`ElasticLoss::grad_penalty`](crate::ElasticLoss::grad_penalty) for the
    /// penalty.
    ///
    /// # Panics
    ///
    /// If `x` is not m × p or `upstream` is not m × k.
    pub fn backward(&mut self, x: ArrayView2<F>, upstream: ArrayView2<F>) {
        assert_eq!(
            x.nrows(),
            upstream.nrows(),
            "x and upstream need the same rows"
        );
        if self.weight_grad.dim() != self.weight.dim() {
            self.weight_grad = Array2::zeros(self.weight.raw_dim());
        }
        ndarray::linalg::general_mat_mul(
            F::one(),
            &x.t(),
            &upstream,
            F::zero(),
            &mut self.weight_grad,
        );
        self.bias_grad = upstream.sum_axis(Axis(0));
    }

    /// One gradient step: `W ← W − lr·∂L/∂W`, `b ← b − lr·∂L/∂b`.
    pub fn step(&mut self, lr: F) {
        self.weight.scaled_add(-lr, &self.weight_grad);
        self.bias.scaled_add(-lr, &self.bias_grad);
    }

    /// Whether every weight and bias is finite.
    pub fn is_finite(&self) -> bool {
        self.weight
            .iter()
            .chain(self.bias.iter())
            .all(|v| v.is_finite())
    }
}

/// Rows per chunk of [`FusedPass::run`]: the residuals of a chunk are
/// computed first, reading its rows from memory in order, then the gradient
/// sums while those rows are still in the L1 cache (32 rows of 100 `f64` are
/// 25 KiB).
const CHUNK: usize = 32;

/// Chunks per block of [`FusedPass::run`]: sums are accumulated over a block
/// of `CHUNK·BLOCK_CHUNKS = 256` rows, then added to the running totals
/// (two-level summation, so the rounding error grows with `256 + m/256`
/// rather than with `m`).
const BLOCK_CHUNKS: usize = 8;

/// Independent accumulators of [`dot`]: enough for the adds of a vector unit
/// to overlap (16 `f64` or 16 `f32` are 4 to 8 SIMD registers).
const LANES: usize = 16;

/// One pass over rows of `x` that computes, a chunk of rows at a time while
/// they are in cache, the residuals `rᵢ = xᵢW + b − yᵢ`, the squared error
/// `Σᵢ‖rᵢ‖²` and (optionally) the sums `Σᵢ xᵢᵀrᵢ` and `Σᵢ rᵢ`:
///
/// ```text
/// loss and gradient of 1/(2n)·Σᵢ‖xᵢW + b − yᵢ‖² over n rows, in one read of them:
///   ∂/∂W = (Σᵢ xᵢᵀrᵢ)/n,  ∂/∂b = (Σᵢ rᵢ)/n
/// ```
///
/// It is [`LinearModel::forward`], the residual, the loss and
/// [`LinearModel::backward`] fused, for [`train`](crate::train): each
/// element of `x` is read from memory once, and nothing is allocated after
/// [`new`](Self::new). Rows with unit column stride (row-major `x`, or
/// slices of it) are read in place; other layouts are copied into a buffer,
/// a chunk of rows at a time. With one output and rows shorter than
/// [`narrow_rows::MAX_LEN`], each chunk goes to the row kernel (several
/// rows per load of the weights, AVX2 and FMA where the CPU has them); a
/// run of consecutive rows of row-major `x` and `y` goes to it a block of
/// `CHUNK·BLOCK_CHUNKS` rows at a time, read in place, and the kernel asks
/// for the rows [`PREFETCH_AHEAD`] bytes on to be fetched into the cache
/// as it starts each group of rows. Other passes over consecutive rows
/// shorter than [`narrow_rows::SHORT_LEN`] ask for them chunk by chunk.
#[derive(Debug, Clone)]
pub(crate) struct FusedPass<F> {
    /// `p`.
    n_features: usize,
    /// `k`.
    n_targets: usize,
    /// `Wᵀ`, k × p row-major: row `l` is column `l` of `W`.
    weight_t: Vec<F>,
    /// `b`.
    bias: Vec<F>,
    /// `Σᵢ rᵢ xᵢ` over the rows of the last pass, k × p row-major.
    grad_t: Vec<F>,
    /// `Σᵢ rᵢ` over the rows of the last pass.
    grad_b: Vec<F>,
    /// The same two sums over the current block of rows.
    block_t: Vec<F>,
    /// See `block_t`.
    block_b: Vec<F>,
    /// The residuals of the current chunk, `CHUNK × k` row-major (or of
    /// a block of rows for the row kernel: at least `CHUNK·BLOCK_CHUNKS`
    /// values).
    residual: Vec<F>,
    /// A copy of the rows of the current chunk when their columns are not
    /// contiguous, `CHUNK × p` row-major (empty otherwise).
    chunk_buf: Vec<F>,
}

impl<F: Float> FusedPass<F> {
    /// Buffers for a model with `n_features` inputs and `n_targets` outputs.
    pub(crate) fn new(n_features: usize, n_targets: usize) -> Self {
        let zeros = |n| vec![F::zero(); n];
        Self {
            n_features,
            n_targets,
            weight_t: zeros(n_features * n_targets),
            bias: zeros(n_targets),
            grad_t: zeros(n_features * n_targets),
            grad_b: zeros(n_targets),
            block_t: zeros(n_features * n_targets),
            block_b: zeros(n_targets),
            residual: zeros((CHUNK * n_targets).max(CHUNK * BLOCK_CHUNKS)),
            chunk_buf: Vec::new(),
        }
    }

    /// Takes the model's current `W` and `b` for the next [`run`](Self::run).
    ///
    /// # Panics
    ///
    /// If the model is not `n_features × n_targets`.
    pub(crate) fn load(&mut self, model: &LinearModel<F>) {
        let p = self.n_features;
        assert_eq!(model.weight.dim(), (p, self.n_targets), "model shape");
        for (l, column) in model.weight.columns().into_iter().enumerate() {
            for (t, &w) in self.weight_t[l * p..(l + 1) * p].iter_mut().zip(&column) {
                *t = w;
            }
        }
        for (t, &b) in self.bias.iter_mut().zip(&model.bias) {
            *t = b;
        }
    }

    /// One pass over the rows `rows` of `x` (m × p) and `y` (m × k) with the
    /// loaded weights: returns `Σᵢ‖xᵢW + b − yᵢ‖²` over those rows and, when
    /// `GRAD`, keeps `Σᵢ xᵢᵀrᵢ` and `Σᵢ rᵢ` for
    /// [`gradient_into`](Self::gradient_into).
    ///
    /// A NaN or an infinity in a row of `x` or `y` makes the result
    /// non-finite (`±∞·0` is NaN), so a finite result also checks the data.
    ///
    /// # Panics
    ///
    /// If `x` does not have `n_features` columns, `y` `n_targets` columns, or
    /// a row index is out of bounds.
    pub(crate) fn run<const GRAD: bool>(
        &mut self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        rows: Rows<'_>,
    ) -> F {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU running this has AVX-512F (just detected).
            return unsafe { self.run_avx512::<GRAD>(x, y, rows) };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU running this has AVX2 (just detected).
            return unsafe { self.run_avx2::<GRAD>(x, y, rows) };
        }
        self.run_portable::<GRAD>(x, y, rows)
    }

    /// [`run`](Self::run) compiled for AVX2: the same operations in the
    /// same order on vectors twice as wide (no fused multiply-add, so the
    /// results are bit for bit those of the portable build).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_avx2<const GRAD: bool>(
        &mut self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        rows: Rows<'_>,
    ) -> F {
        self.run_portable::<GRAD>(x, y, rows)
    }

    /// [`run`](Self::run) compiled for AVX-512 (no fused multiply-add:
    /// the portable results to the bit).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn run_avx512<const GRAD: bool>(
        &mut self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        rows: Rows<'_>,
    ) -> F {
        self.run_portable::<GRAD>(x, y, rows)
    }

    /// The body of [`run`](Self::run), inlined into each build.
    #[inline(always)]
    fn run_portable<const GRAD: bool>(
        &mut self,
        x: ArrayView2<F>,
        y: ArrayView2<F>,
        rows: Rows<'_>,
    ) -> F {
        let (p, k) = (self.n_features, self.n_targets);
        assert_eq!(x.ncols(), p, "columns of x");
        assert_eq!(y.ncols(), k, "columns of y");
        let layout = if x.as_slice().is_some() {
            Layout::Contiguous
        } else if p <= 1 || x.strides()[1] == 1 {
            Layout::UnitColumns
        } else {
            Layout::Copied
        };
        let copy_len = if layout == Layout::Copied {
            CHUNK * p
        } else {
            0
        };
        if self.chunk_buf.len() != copy_len {
            self.chunk_buf = vec![F::zero(); copy_len];
        }
        let Self {
            weight_t,
            bias,
            grad_t,
            grad_b,
            block_t,
            block_b,
            residual,
            chunk_buf,
            ..
        } = self;
        if GRAD {
            for v in grad_t.iter_mut().chain(grad_b.iter_mut()) {
                *v = F::zero();
            }
        }
        let x_all = x.as_slice();
        let y_all = y.as_slice();
        let (range, listed) = match rows {
            Rows::Range(range) => (range, None),
            Rows::Listed(listed) => (0..0, Some(listed)),
        };
        // Every index in bounds, checked here once, so that `i·p` and
        // `i·k` below cannot wrap around.
        let m = x.nrows().min(y.nrows());
        let in_bounds = match listed {
            None => range.is_empty() || range.end <= m,
            Some(listed) => listed.iter().all(|&i| i < m),
        };
        assert!(in_bounds, "row index out of bounds");
        let count = listed.map_or(range.len(), <[usize]>::len);
        // One output and rows under MAX_LEN: the row kernel.
        let narrow = k == 1 && p < narrow_rows::MAX_LEN;
        if let (true, None, Some(x_all), Some(y_all)) = (narrow && p > 0, listed, x_all, y_all) {
            // A run of consecutive rows of row-major x and y: each block
            // goes to the kernel whole, its rows read in place, and the
            // rows PREFETCH_AHEAD bytes on are asked for.
            let mut total = F::zero();
            for start in (range.start..range.end).step_by(CHUNK * BLOCK_CHUNKS) {
                let n = (CHUNK * BLOCK_CHUNKS).min(range.end - start);
                total += narrow_rows::chunk::<F, GRAD>(
                    F::zero(),
                    narrow_rows::Rows::Block {
                        data: &x_all[start * p..(start + n) * p],
                        n,
                        ahead: PREFETCH_AHEAD,
                    },
                    weight_t,
                    bias[0],
                    &y_all[start..start + n],
                    &mut residual[..n],
                    block_t,
                    &mut block_b[0],
                );
                if GRAD {
                    flush(grad_t, block_t);
                    flush(grad_b, block_b);
                }
            }
            return total;
        }
        let mut index_buf = [0usize; CHUNK];
        let (mut total, mut block_sq, mut chunks) = (F::zero(), F::zero(), 0);
        for start in (0..count).step_by(CHUNK) {
            // The next chunk of row indices, and whether they are the rows
            // first, first + 1, … (as in a full pass), which can be taken
            // as one block.
            let n = CHUNK.min(count - start);
            let (index, consecutive) = match listed {
                None => {
                    for (slot, i) in index_buf.iter_mut().zip(range.start + start..) {
                        *slot = i;
                    }
                    (&index_buf[..n], true)
                }
                Some(listed) => {
                    let index = &listed[start..start + n];
                    (index, index.iter().zip(index[0]..).all(|(&i, j)| i == j))
                }
            };
            let first = index[0];
            let mut chunk: [&[F]; CHUNK] = [&[]; CHUNK];
            // The chunk's rows as one block, when they are consecutive rows
            // of a row-major x (the short-row kernel then needs no list).
            let mut whole = None;
            match (layout, x_all) {
                (Layout::Contiguous, Some(all)) if consecutive && p > 0 => {
                    let block = &all[first * p..(first + n) * p];
                    if narrow {
                        whole = Some(block);
                    } else {
                        for (row, values) in chunk.iter_mut().zip(block.chunks_exact(p)) {
                            *row = values;
                        }
                    }
                    if p < narrow_rows::SHORT_LEN {
                        // The rows PREFETCH_AHEAD bytes on, while the CPU
                        // works on these (short rows only: on long ones the
                        // hardware prefetcher keeps up, and the hints cost
                        // time).
                        prefetch(all, first * p + PREFETCH_AHEAD / size_of::<F>(), n * p);
                    }
                }
                (Layout::Contiguous, Some(all)) => {
                    for (row, &i) in chunk.iter_mut().zip(index) {
                        *row = &all[i * p..(i + 1) * p];
                    }
                }
                (Layout::Copied, _) => {
                    for (buf, &i) in chunk_buf.chunks_exact_mut(p).zip(index) {
                        for (d, &v) in buf.iter_mut().zip(x.row(i)) {
                            *d = v;
                        }
                    }
                    for (row, buf) in chunk.iter_mut().zip(chunk_buf.chunks_exact(p)) {
                        *row = buf;
                    }
                }
                _ => {
                    for (row, &i) in chunk.iter_mut().zip(index) {
                        *row = x.row(i).to_slice().expect("unit column stride");
                    }
                }
            }
            let chunk = &chunk[..n];
            let target = |i: usize, l: usize| match y_all {
                Some(all) => all[i * k + l],
                None => y[[i, l]],
            };
            if narrow {
                // One output and short rows: a kernel that keeps the loop
                // overhead small next to the arithmetic of a row.
                let mut targets = [F::zero(); CHUNK];
                match y_all {
                    Some(all) if consecutive => {
                        targets[..n].copy_from_slice(&all[first..first + n])
                    }
                    _ => {
                        for (t, &i) in targets.iter_mut().zip(index) {
                            *t = target(i, 0);
                        }
                    }
                }
                let rows = match whole {
                    Some(data) => narrow_rows::Rows::Block { data, n, ahead: 0 },
                    None => narrow_rows::Rows::Listed(chunk),
                };
                block_sq = narrow_rows::chunk::<F, GRAD>(
                    block_sq,
                    rows,
                    weight_t,
                    bias[0],
                    &targets[..n],
                    &mut residual[..n],
                    block_t,
                    &mut block_b[0],
                );
            } else {
                // Forward: the residuals and their squares, row after row.
                for (c, (&row, &i)) in chunk.iter().zip(index).enumerate() {
                    for l in 0..k {
                        let r = dot(row, &weight_t[l * p..(l + 1) * p]) + bias[l] - target(i, l);
                        block_sq += r * r;
                        residual[c * k + l] = r;
                    }
                }
                // Backward: Σ rᵢxᵢ over the chunk, from the cache, four rows
                // per load and store of the sums.
                if GRAD {
                    for l in 0..k {
                        let g = &mut block_t[l * p..(l + 1) * p];
                        let r = |c: usize| residual[c * k + l];
                        let mut c = 0;
                        while c + 4 <= n {
                            let rows = [chunk[c], chunk[c + 1], chunk[c + 2], chunk[c + 3]];
                            axpy4(g, [r(c), r(c + 1), r(c + 2), r(c + 3)], rows);
                            c += 4;
                        }
                        for (c, &row) in chunk.iter().enumerate().skip(c) {
                            axpy(g, r(c), row);
                        }
                        block_b[l] += (0..n).fold(F::zero(), |s, c| s + r(c));
                    }
                }
            }
            chunks += 1;
            if chunks == BLOCK_CHUNKS {
                chunks = 0;
                total += block_sq;
                block_sq = F::zero();
                if GRAD {
                    flush(grad_t, block_t);
                    flush(grad_b, block_b);
                }
            }
        }
        if GRAD {
            flush(grad_t, block_t);
            flush(grad_b, block_b);
        }
        total + block_sq
    }

    /// Writes the sums of the last [`run::<true>`](Self::run) times `scale`
    /// (`1/n` for `n` rows) into the model's gradients:
    /// `∂W = scale·Σᵢ xᵢᵀrᵢ`, `∂b = scale·Σᵢ rᵢ`.
    pub(crate) fn gradient_into(&self, model: &mut LinearModel<F>, scale: F) {
        let p = self.n_features;
        if model.weight_grad.dim() != (p, self.n_targets) {
            model.weight_grad = Array2::zeros((p, self.n_targets));
        }
        if model.bias_grad.len() != self.n_targets {
            model.bias_grad = Array1::zeros(self.n_targets);
        }
        for (l, mut column) in model.weight_grad.columns_mut().into_iter().enumerate() {
            for (g, &s) in column.iter_mut().zip(&self.grad_t[l * p..(l + 1) * p]) {
                *g = s * scale;
            }
        }
        for (g, &s) in model.bias_grad.iter_mut().zip(&self.grad_b) {
            *g = s * scale;
        }
    }
}

/// The rows of `x` a [`FusedPass::run`] reads, in order: a range (a full
/// pass) or a list of indices (a shuffled batch).
#[derive(Debug, Clone)]
pub(crate) enum Rows<'a> {
    /// The rows `start..end`.
    Range(std::ops::Range<usize>),
    /// The rows at these indices.
    Listed(&'a [usize]),
}

/// Where [`FusedPass::run`] finds the rows of `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// Row-major and contiguous: row `i` is `all[i·p..(i + 1)·p]`.
    Contiguous,
    /// Each row contiguous, rows apart (a column slice of a wider array).
    UnitColumns,
    /// Anything else: the rows of a chunk are copied into a buffer.
    Copied,
}

/// How far ahead of the rows being read [`FusedPass::run`] asks for rows
/// to be fetched into the cache, in bytes. On the 2 000 000 × 20
/// benchmark the hardware prefetcher alone left the pass at about 1.4× the
/// time to stream `x` (with ndarray's `sum` as the floor, 15–30% slower
/// than today's); 4 KiB ahead (about one chunk of 20 `f64`) brought it to
/// 1.1×, and anything from 1 to 8 KiB did nearly as well. Asked for by
/// the row kernel a group of rows at a time (rather than a block of rows
/// at once, which left the memory idle while the block was computed), the
/// steady-state epoch went, against the stream floor measured in the same
/// process, from 1.29× to 1.09× (f64) and 1.39× to 1.13× (f32) on
/// 2 000 000 × 20, and from 1.19× to 1.08× and 1.73× to 1.33× on
/// 100 000 × 100; 8 KiB was within noise of 4, 2 KiB slower.
const PREFETCH_AHEAD: usize = 4096;

/// Asks for `values[start..start + len]` (clipped to the slice) to be
/// brought into the cache: one prefetch per 64-byte line. A hint with no
/// effect on results; nothing where the target has no prefetch.
#[inline(always)]
fn prefetch<F>(values: &[F], start: usize, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let end = start.saturating_add(len).min(values.len());
        let step = (64 / size_of::<F>()).max(1);
        for i in (start..end).step_by(step) {
            // SAFETY: i < values.len(), so the address is inside the slice;
            // a prefetch reads nothing and cannot fault.
            unsafe {
                use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                _mm_prefetch::<_MM_HINT_T0>(values.as_ptr().add(i).cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (values, start, len);
}

/// `total += block`, then `block = 0`.
#[inline(always)]
fn flush<F: Float>(total: &mut [F], block: &mut [F]) {
    for (t, b) in total.iter_mut().zip(block.iter_mut()) {
        *t += *b;
        *b = F::zero();
    }
}

/// `g += r·x`.
#[inline(always)]
fn axpy<F: Float>(g: &mut [F], r: F, x: &[F]) {
    for (g, &v) in g.iter_mut().zip(x) {
        *g += r * v;
    }
}

/// `g += r₀x₀ + r₁x₁ + r₂x₂ + r₃x₃`: four rows per load and store of `g`.
#[inline(always)]
fn axpy4<F: Float>(g: &mut [F], r: [F; 4], x: [&[F]; 4]) {
    let n = g.len();
    let (x0, x1, x2, x3) = (&x[0][..n], &x[1][..n], &x[2][..n], &x[3][..n]);
    for j in 0..n {
        g[j] += (r[0] * x0[j] + r[1] * x1[j]) + (r[2] * x2[j] + r[3] * x3[j]);
    }
}

/// `Σⱼ aⱼbⱼ` for rows of equal length: [`LANES`] independent partial sums
/// (which the compiler keeps in SIMD registers) for long rows; rows shorter
/// than [`narrow_rows::SHORT_LEN`] in 32 bytes of partial sums, as
/// [`narrow_rows::dot`] sums them.
#[inline(always)]
fn dot<F: Float>(a: &[F], b: &[F]) -> F {
    if a.len() < narrow_rows::SHORT_LEN {
        narrow_rows::dot(a, b)
    } else {
        crate::solver::linalg::dot_lanes::<F, LANES>(a, b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{Array2, ShapeBuilder, s};
    use rand::{Rng, SeedableRng, rngs::StdRng};

    /// The fused pass equals forward, residual, backward done separately, on
    /// every subset of rows (all of them, a shuffled batch, a single row,
    /// a run of consecutive rows given as a list, counts that are not
    /// multiples of the chunk or of four), each layout of `x` and `y`, and
    /// shapes that take the general loop (three outputs; one output and
    /// 1 030 columns) and the row kernel (one output, 5, 20, 64 and 100
    /// columns: short rows, and rows for which it is no longer short).
    #[test]
    fn fused_pass_is_forward_then_backward() {
        for (p, k) in [(37, 3), (64, 1), (20, 1), (5, 1), (100, 1), (1030, 1)] {
            fused_pass_matches(p, k);
        }
    }

    fn fused_pass_matches(p: usize, k: usize) {
        let mut rng = StdRng::seed_from_u64(1);
        let m = 301;
        let x = Array2::from_shape_simple_fn((m, p), || rng.random_range(-1.0..1.0));
        let y = Array2::from_shape_simple_fn((m, k), || rng.random_range(-1.0..1.0));
        let model = LinearModel::<f64>::new(p, k, &mut rng);
        let mut x_f = Array2::zeros((m, p).f());
        x_f.assign(&x);
        let wide = ndarray::concatenate![ndarray::Axis(1), x, x];
        let mut y_f = Array2::zeros((m, k).f());
        y_f.assign(&y);
        let mut shuffled: Vec<usize> = (0..m).rev().step_by(3).collect();
        shuffled.swap(0, 5);
        let subsets: [Vec<usize>; 4] = [(0..m).collect(), shuffled, vec![17], (5..38).collect()];
        for rows in &subsets {
            let xs = x.select(ndarray::Axis(0), rows);
            let ys = y.select(ndarray::Axis(0), rows);
            let residual = model.forward(xs.view()) - &ys;
            let mut expected = model.clone();
            expected.backward(xs.view(), residual.view());
            let sq: f64 = residual.iter().map(|r| r * r).sum();
            for (xv, yv) in [
                (x.view(), y.view()),
                (x_f.view(), y_f.view()),
                (wide.slice(s![.., ..p]), y.view()),
            ] {
                let mut ways = vec![Rows::Listed(rows)];
                if rows.iter().zip(rows[0]..).all(|(&i, j)| i == j) {
                    ways.push(Rows::Range(rows[0]..rows[0] + rows.len()));
                }
                for way in ways {
                    let mut pass = FusedPass::new(p, k);
                    pass.load(&model);
                    let loss = pass.run::<false>(xv, yv, way.clone());
                    assert!((loss - sq).abs() <= 1e-12 * sq);
                    let got = pass.run::<true>(xv, yv, way);
                    assert!((got - sq).abs() <= 1e-12 * sq);
                    let mut fused = model.clone();
                    pass.gradient_into(&mut fused, 1.0);
                    for (a, b) in fused.weight_grad.iter().zip(&expected.weight_grad) {
                        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
                    }
                    for (a, b) in fused.bias_grad.iter().zip(&expected.bias_grad) {
                        assert!((a - b).abs() <= 1e-12 * (1.0 + b.abs()), "{a} vs {b}");
                    }
                }
            }
        }
    }

    /// A row index past the end panics, even one whose offset `i·p` wraps
    /// around to a valid place (found by review: it read other rows).
    #[test]
    fn out_of_bounds_rows_panic() {
        let (m, p, k) = (10, 3, 3);
        let x = Array2::<f64>::ones((m, p));
        let y = Array2::<f64>::ones((m, k));
        let wraps = usize::MAX / 3 + 1; // 3·wraps wraps around to 2
        for rows in [
            Rows::Listed(&[wraps]),
            Rows::Listed(&[0, m]),
            Rows::Range(5..m + 1),
        ] {
            let caught = std::panic::catch_unwind(|| {
                let mut pass = FusedPass::new(p, k);
                pass.load(&LinearModel::zeros(p, k));
                pass.run::<true>(x.view(), y.view(), rows)
            });
            assert!(caught.is_err());
        }
    }

    /// A NaN or an infinity anywhere in `x` or `y` makes the pass non-finite,
    /// whatever the weights (zero weights included: `∞·0` is NaN).
    #[test]
    fn non_finite_data_makes_the_pass_non_finite() {
        let (m, p) = (70, 5);
        for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            for (i, j, in_x) in [(0, 0, true), (69, 4, true), (33, 2, true), (40, 0, false)] {
                let mut x = Array2::<f64>::ones((m, p));
                let mut y = Array2::<f64>::ones((m, 1));
                if in_x {
                    x[[i, j]] = bad;
                } else {
                    y[[i, 0]] = bad;
                }
                let mut pass = FusedPass::new(p, 1);
                pass.load(&LinearModel::zeros(p, 1));
                assert!(
                    !pass
                        .run::<true>(x.view(), y.view(), Rows::Range(0..m))
                        .is_finite()
                );
                assert!(
                    !pass
                        .run::<false>(x.view(), y.view(), Rows::Range(0..m))
                        .is_finite()
                );
            }
        }
    }
}
