# R oracle for linkwork's non-mixed-model statistics.
#
# Usage (from the repository root, after python3 tests/reference/make_other_stats_data.py):
#   Rscript tests/reference/other_stats.R [DATA_DIR [OUT_JSON]]
#
# Reads DATA_DIR/*.csv (default tests/reference/other_stats_data) and writes OUT_JSON (default
# tests/reference/other_stats.json) with, at 17 significant digits:
#   p.adjust (every method), cor.test (Pearson, Spearman; default arguments), wilcox.test
#   (paired, defaults), friedman.test, pairwise paired wilcox.test + Holm, t.test (Welch),
#   fisher.test, chisq.test and emmeans::eff_size with sigma = SD at T1, edf = n_T1 - 1.
# Only base R, jsonlite and emmeans are used. The live tests run this script on fresh data.

suppressMessages({
  library(jsonlite)
  library(emmeans)
})

args <- commandArgs(trailingOnly = TRUE)
script_dir <- local({
  file_arg <- grep("^--file=", commandArgs(trailingOnly = FALSE), value = TRUE)
  dirname(normalizePath(sub("^--file=", "", file_arg[1])))
})
data_dir <- if (length(args) >= 1) args[1] else file.path(script_dir, "other_stats_data")
out_path <- if (length(args) >= 2) args[2] else file.path(script_dir, "other_stats.json")

read <- function(name) {
  path <- file.path(data_dir, paste0(name, ".csv"))
  if (!file.exists(path)) return(NULL)
  utils::read.csv(path, stringsAsFactors = FALSE)
}

result <- list(
  r_version = R.version.string,
  packages = list(
    stats = as.character(packageVersion("stats")),
    emmeans = as.character(packageVersion("emmeans")),
    jsonlite = as.character(packageVersion("jsonlite"))
  )
)

# --- p.adjust -------------------------------------------------------------------------------
pv <- read("p_values")
if (!is.null(pv)) {
  out <- list()
  for (s in unique(pv$set)) {
    p <- pv$p[pv$set == s]
    for (m in p.adjust.methods) {  # includes the alias "fdr"
      out[[length(out) + 1]] <- list(set = s, method = m, adjusted = I(p.adjust(p, m)))
    }
  }
  result$p_adjust <- out
}

# --- cor.test ---------------------------------------------------------------------------------
co <- read("correlation")
if (!is.null(co)) {
  out <- list()
  for (s in unique(co$set)) {
    x <- co$x[co$set == s]
    y <- co$y[co$set == s]
    n <- sum(complete.cases(x, y))
    for (m in c("pearson", "spearman")) {
      # Spearman with ties warns "Cannot compute exact p-value with ties" and falls back.
      ct <- suppressWarnings(cor.test(x, y, method = m))
      r <- unname(ct$estimate)
      half <- qnorm(0.975) / sqrt(n - 3)
      ci <- if (m == "pearson") as.numeric(ct$conf.int) else tanh(atanh(r) + c(-1, 1) * half)
      out[[length(out) + 1]] <- list(
        set = s, method = m, n = n, r = r, statistic = unname(ct$statistic),
        df = if (is.null(ct$parameter)) NA else unname(ct$parameter),
        p_value = ct$p.value, conf_low = ci[1], conf_high = ci[2]
      )
    }
  }
  result$correlation <- out
}

# --- wilcox.test (paired) -----------------------------------------------------------------------
signed_rank <- function(x, y) {
  ok <- complete.cases(x, y)
  d <- x[ok] - y[ok]
  n <- sum(d != 0)
  w <- suppressWarnings(wilcox.test(x, y, paired = TRUE))
  # z without continuity correction, recovered from R's own normal-approximation p-value.
  w0 <- suppressWarnings(wilcox.test(x, y, paired = TRUE, exact = FALSE, correct = FALSE))
  v <- unname(w$statistic)
  z <- sign(v - n * (n + 1) / 4) * -qnorm(w0$p.value / 2)
  list(statistic = v, p_value = w$p.value, n = n, n_pairs = sum(ok), z = z,
       exact = grepl("exact", w$method))
}
wi <- read("wilcoxon")
if (!is.null(wi)) {
  out <- list()
  for (s in unique(wi$set)) {
    res <- signed_rank(wi$x[wi$set == s], wi$y[wi$set == s])
    out[[length(out) + 1]] <- c(list(set = s), res)
  }
  result$wilcoxon <- out
}

# --- friedman.test and pairwise Wilcoxon ------------------------------------------------------
fr <- read("friedman")
if (!is.null(fr)) {
  out <- list()
  pairs_out <- list()
  for (s in unique(fr$set)) {
    d <- fr[fr$set == s, ]
    waves <- unique(d$wave)
    m <- sapply(waves, function(w) d$value[d$wave == w][order(d$id[d$wave == w])])
    ft <- friedman.test(m)
    out[[length(out) + 1]] <- list(
      set = s, statistic = unname(ft$statistic), df = unname(ft$parameter),
      p_value = ft$p.value, n = sum(complete.cases(m))
    )
    rows <- list()
    for (i in seq_len(ncol(m) - 1)) {
      for (j in (i + 1):ncol(m)) {
        res <- signed_rank(m[, j], m[, i])
        rows[[length(rows) + 1]] <- c(list(set = s, contrast = paste(waves[j], "-", waves[i])), res)
      }
    }
    holm <- p.adjust(sapply(rows, function(r) r$p_value), "holm")
    for (k in seq_along(rows)) rows[[k]]$p_holm <- holm[k]
    pairs_out <- c(pairs_out, rows)
  }
  result$friedman <- out
  result$pairwise_wilcoxon <- pairs_out
}

# --- attrition: t.test, fisher.test, chisq.test -----------------------------------------------
at <- read("attrition")
if (!is.null(at)) {
  known <- !is.na(at$completer)
  cont <- list()
  cat_out <- list()
  for (v in setdiff(names(at), c("id", "completer"))) {
    x <- at[[v]][known]
    g <- at$completer[known]
    if (is.numeric(x)) {
      xc <- x[g & !is.na(x)]
      xn <- x[!g & !is.na(x)]
      tt <- t.test(xc, xn)
      cont[[length(cont) + 1]] <- list(
        variable = v, n_c = length(xc), n_n = length(xn), mean_c = mean(xc), sd_c = sd(xc),
        mean_n = mean(xn), sd_n = sd(xn), statistic = unname(tt$statistic),
        df = unname(tt$parameter), p_value = tt$p.value
      )
    }
    if (!is.numeric(x)) {
      tab <- table(g, x)
      ch <- suppressWarnings(chisq.test(tab))
      cat_out[[length(cat_out) + 1]] <- list(
        variable = v, levels = I(colnames(tab)),
        count_c = I(as.numeric(tab["TRUE", ])), count_n = I(as.numeric(tab["FALSE", ])),
        fisher_p = fisher.test(tab)$p.value, chisq_statistic = unname(ch$statistic),
        chisq_df = unname(ch$parameter), chisq_p = ch$p.value
      )
    }
  }
  result$attrition_continuous <- cont
  result$attrition_categorical <- cat_out
}

# --- emmeans::eff_size against T1 ---------------------------------------------------------------
es <- read("effect_size")
if (!is.null(es)) {
  es$wave <- factor(es$wave, levels = unique(es$wave))
  fit <- lm(y ~ wave, data = es)
  emm <- emmeans(fit, ~wave)
  y1 <- es$y[es$wave == levels(es$wave)[1]]
  sd1 <- sd(y1)
  n1 <- length(y1)
  ct <- summary(contrast(emm, "trt.vs.ctrl"), infer = FALSE)
  ef <- summary(eff_size(emm, sigma = sd1, edf = n1 - 1, method = "trt.vs.ctrl"))
  out <- list()
  for (k in seq_len(nrow(ct))) {
    out[[k]] <- list(
      contrast = as.character(ct$contrast[k]), estimate = ct$estimate[k], std_error = ct$SE[k],
      df = ct$df[k], sd_baseline = sd1, n_baseline = n1, d = ef$effect.size[k],
      d_std_error = ef$SE[k], conf_low = ef$lower.CL[k], conf_high = ef$upper.CL[k]
    )
  }
  result$effect_size <- out
}

# jsonlite prints at most 15 significant digits; write every double at 17 (round-trip exact)
# as verbatim JSON instead. NA -> null, +-Inf -> +-Infinity (which Python's json reads).
# Vectors wrapped in I() stay arrays even when of length 1.
exact_json <- function(x) {
  if (is.list(x)) return(lapply(x, exact_json))
  if (!is.double(x)) return(x)
  text <- ifelse(is.na(x), "null", ifelse(is.infinite(x), ifelse(x > 0, "Infinity", "-Infinity"),
    sprintf("%.17g", x)))
  if (length(x) != 1 || inherits(x, "AsIs")) text <- paste0("[", paste(text, collapse = ","), "]")
  structure(text, class = "json")
}

writeLines(
  toJSON(exact_json(result), auto_unbox = TRUE, json_verbatim = TRUE, na = "null", pretty = TRUE),
  out_path
)
