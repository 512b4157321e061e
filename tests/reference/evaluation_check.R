# The evaluation's tables computed independently in R, for tests/evaluation/test_against_r.py.
#
# Usage: Rscript evaluation_check.R SCORED.csv CONFIG.csv OUT_DIR
#
# SCORED.csv is the scored long data (participant_id, wave, arm/site/covariates, one column
# per scored measure) exactly as linkwork's evaluation analyses it; CONFIG.csv has two columns,
# key and value (lists separated by "|"; predictor waves after ":" separated by ";"). OUT_DIR
# receives one CSV per table with linkwork's column names, numbers at 17 significant digits:
#   descriptives (mean, sd, median, quantiles type 7), flow, sites (suppression and rounding),
#   attrition (t.test Welch, fisher.test, standardised differences), groups (friedman.test,
#   wilcox.test paired, p.adjust, r = z / sqrt(n) with z computed from V without continuity
#   correction and with the tie correction), models (lmerTest summary, Satterthwaite df,
#   conf = estimate +- qt(.975, df) SE), anova (lmerTest type 3, Satterthwaite), emmeans and
#   contrasts (emmeans, lmer.df = "satterthwaite"; revpairwise = later minus earlier; d and its
#   SE from emmeans::eff_size with sigma = SD at baseline and edf = n - 1; the d CI uses the
#   contrast's own df), correlations (cor.test, Fisher-z CI for Spearman, p.adjust within
#   method). R 4.2.2, lme4 1.1-31, lmerTest 3.1-3, emmeans 1.8.4.

suppressMessages({
  library(lme4)
  library(lmerTest)
  library(emmeans)
})
emm_options(lmerTest.limit = Inf, pbkrtest.limit = Inf)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 3) stop("usage: Rscript evaluation_check.R SCORED.csv CONFIG.csv OUT_DIR")
scored <- utils::read.csv(args[1], stringsAsFactors = FALSE, na.strings = c("", "NA"))
config <- utils::read.csv(args[2], stringsAsFactors = FALSE, colClasses = "character")
out_dir <- args[3]
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)

cfg <- setNames(as.list(config$value), config$key)
items <- function(key) {
  x <- cfg[[key]]
  if (is.null(x) || is.na(x) || x == "") character(0) else strsplit(x, "|", fixed = TRUE)[[1]]
}
waves <- items("waves")
baseline <- cfg$baseline
last <- cfg$last
outcomes <- items("outcomes")
measures <- items("measures")
adjust <- cfg$adjust
arm <- if (is.null(cfg$arm) || is.na(cfg$arm)) "" else cfg$arm
groups <- if (is.null(cfg$groups) || is.na(cfg$groups)) "" else cfg$groups
group_pairs <- cfg$group_pairs
site <- if (is.null(cfg$site) || is.na(cfg$site)) "" else cfg$site
suppress <- identical(cfg$suppress, "true")
threshold <- as.numeric(cfg$threshold)
rounding <- as.numeric(cfg$rounding)
attrition_vars <- items("attrition")
methods <- items("methods")
targets <- items("targets")
completers_models <- identical(cfg$completers, "true")
predictors <- lapply(items("predictors"), function(p) {
  parts <- strsplit(p, ":", fixed = TRUE)[[1]]
  list(name = parts[1], waves = strsplit(parts[2], ";", fixed = TRUE)[[1]])
})

scored$participant_id <- as.character(scored$participant_id)
scored$wave <- as.character(scored$wave)
ids <- sort(unique(scored$participant_id))

write_table <- function(frame, name) {
  for (column in names(frame)) {
    if (is.numeric(frame[[column]])) {
      frame[[column]] <- ifelse(is.na(frame[[column]]), NA, sprintf("%.17g", frame[[column]]))
    }
  }
  utils::write.csv(frame, file.path(out_dir, paste0(name, ".csv")), row.names = FALSE, na = "")
}
rows <- function(list_of_frames, empty) {
  if (length(list_of_frames) == 0) return(empty)
  do.call(rbind, list_of_frames)
}
at_wave <- function(column, wave) {
  part <- scored[scored$wave == wave, c("participant_id", column)]
  setNames(part[[column]], part$participant_id)[ids]
}

# --- descriptives --------------------------------------------------------------------------------
out <- list()
for (m in measures) for (w in waves) {
  v <- scored[[m]][scored$wave == w]
  v <- v[!is.na(v)]
  q <- if (length(v)) stats::quantile(v, c(0.25, 0.75), type = 7, names = FALSE) else c(NA, NA)
  out[[length(out) + 1]] <- data.frame(
    outcome = m, wave = w, n = length(v), mean = if (length(v)) mean(v) else NA,
    sd = if (length(v) > 1) stats::sd(v) else NA, median = if (length(v)) stats::median(v) else NA,
    q1 = q[1], q3 = q[2]
  )
}
write_table(rows(out, data.frame()), "descriptives")

# --- flow ----------------------------------------------------------------------------------------
out <- list(data.frame(stage = "enrolled", wave = "", n = length(ids), lost = NA, outcome = ""))
previous <- ids
for (w in waves) {
  here <- unique(scored$participant_id[scored$wave == w])
  out[[length(out) + 1]] <- data.frame(
    stage = "observed", wave = w, n = length(here), lost = length(setdiff(previous, here)),
    outcome = ""
  )
  previous <- here
}
for (o in outcomes) {
  n <- length(unique(scored$participant_id[!is.na(scored[[o]])]))
  out[[length(out) + 1]] <- data.frame(
    stage = "analysed", wave = "", n = n, lost = length(ids) - n, outcome = o
  )
}
write_table(rows(out, data.frame()), "flow")

# --- sites ---------------------------------------------------------------------------------------
if (site != "" && site %in% names(scored)) {
  out <- list()
  for (s in sort(unique(scored[[site]]))) for (w in waves) {
    n <- length(unique(scored$participant_id[scored[[site]] %in% s & scored$wave == w]))
    small <- suppress && n >= 1 && n <= threshold
    shown <- if (!suppress) n else if (small) NA else floor(n / rounding + 0.5) * rounding
    out[[length(out) + 1]] <- data.frame(site = s, wave = w, n = shown, suppressed = small)
  }
  write_table(rows(out, data.frame()), "sites")
}

# --- attrition -----------------------------------------------------------------------------------
base <- scored[scored$wave == baseline, ]
completer <- base$participant_id %in% scored$participant_id[scored$wave == last]
out <- list()
if (last != baseline) for (v in attrition_vars) {
  x <- base[[v]]
  if (is.numeric(x)) {
    xc <- x[completer & !is.na(x)]
    xn <- x[!completer & !is.na(x)]
    if (length(xc) < 2 || length(xn) < 2) next
    tt <- stats::t.test(xc, xn)
    out[[length(out) + 1]] <- data.frame(
      variable = v, level = "", n_completers = length(xc), n_noncompleters = length(xn),
      mean_completers = mean(xc), sd_completers = stats::sd(xc),
      mean_noncompleters = mean(xn), sd_noncompleters = stats::sd(xn),
      smd = (mean(xc) - mean(xn)) / sqrt((stats::var(xc) + stats::var(xn)) / 2),
      test = "welch_t", statistic = unname(tt$statistic), p_value = tt$p.value
    )
  } else {
    ok <- !is.na(x)
    levels <- sort(unique(x[ok]), method = "radix")
    tab <- table(factor(completer[ok], levels = c(TRUE, FALSE)), factor(x[ok], levels = levels))
    p <- stats::fisher.test(tab)$p.value
    nc <- sum(completer & ok)
    nn <- sum(!completer & ok)
    for (level in levels) {
      pc <- sum(completer & ok & x == level) / nc
      pn <- sum(!completer & ok & x == level) / nn
      out[[length(out) + 1]] <- data.frame(
        variable = v, level = level, n_completers = nc, n_noncompleters = nn,
        mean_completers = pc, sd_completers = NA, mean_noncompleters = pn,
        sd_noncompleters = NA, smd = (pc - pn) / sqrt((pc * (1 - pc) + pn * (1 - pn)) / 2),
        test = "fisher", statistic = NA, p_value = p
      )
    }
  }
}
write_table(rows(out, data.frame()), "attrition")

# --- meaningful groups ---------------------------------------------------------------------------
signed_rank_r <- function(x, y) {
  d <- x - y
  d <- d[d != 0]
  n <- length(d)
  ranks <- rank(abs(d))
  v <- sum(ranks[d > 0])
  ties <- table(ranks)
  sigma <- sqrt(n * (n + 1) * (2 * n + 1) / 24 - sum(ties^3 - ties) / 48)
  ((v - n * (n + 1) / 4) / sigma) / sqrt(n)
}
if (groups != "") {
  out <- list()
  present <- c()
  for (w in waves) {
    v <- scored[[groups]][scored$wave == w]
    v <- v[!is.na(v)]
    if (!length(v)) next
    present <- c(present, w)
    q <- stats::quantile(v, c(0.25, 0.75), type = 7, names = FALSE)
    out[[length(out) + 1]] <- data.frame(
      kind = "summary", wave = w, contrast = "", n = length(v), median = stats::median(v),
      q1 = q[1], q3 = q[2], statistic = NA, df = NA, p_value = NA, p_adjusted = NA, r = NA
    )
  }
  wide <- sapply(present, function(w) at_wave(groups, w))
  complete <- wide[stats::complete.cases(wide), , drop = FALSE]
  if (length(present) >= 2) {
    ft <- stats::friedman.test(complete)
    out[[length(out) + 1]] <- data.frame(
      kind = "friedman", wave = "", contrast = "", n = nrow(complete), median = NA, q1 = NA,
      q3 = NA, statistic = unname(ft$statistic), df = unname(ft$parameter),
      p_value = ft$p.value, p_adjusted = NA, r = NA
    )
    source <- if (group_pairs == "complete") complete else wide
    tests <- list()
    for (i in seq_along(present)) for (j in seq_along(present)) {
      if (j <= i) next
      a <- present[i]
      b <- present[j]
      ok <- !is.na(source[, a]) & !is.na(source[, b])
      wt <- suppressWarnings(stats::wilcox.test(source[ok, b], source[ok, a], paired = TRUE))
      tests[[length(tests) + 1]] <- data.frame(
        kind = "wilcoxon", wave = "", contrast = paste(b, "-", a), n = sum(ok), median = NA,
        q1 = NA, q3 = NA, statistic = unname(wt$statistic), df = NA, p_value = wt$p.value,
        p_adjusted = NA, r = signed_rank_r(source[ok, b], source[ok, a])
      )
    }
    tests <- do.call(rbind, tests)
    tests$p_adjusted <- stats::p.adjust(tests$p_value, adjust)
    out[[length(out) + 1]] <- tests
  }
  write_table(rows(out, data.frame()), "groups")
}

# --- mixed models --------------------------------------------------------------------------------
models <- list()
anovas <- list()
emms <- list()
cons <- list()
for (o in outcomes) {
  all_rows <- scored[!is.na(scored[[o]]), ]
  y1 <- all_rows[[o]][all_rows$wave == baseline]
  sd1 <- stats::sd(y1)
  n1 <- length(y1)
  kinds <- if (completers_models) c("all available", "completers") else "all available"
  for (model in kinds) {
    d <- all_rows
    if (model == "completers") {
      d <- d[d$participant_id %in% d$participant_id[d$wave == last], ]
    }
    observed <- waves[waves %in% d$wave]
    if (length(observed) < 2 || length(unique(d$participant_id)) >= nrow(d)) next
    d$wave <- factor(d$wave, levels = observed)
    fixed <- "wave"
    if (arm != "") {
      d$arm <- factor(d[[arm]], levels = sort(unique(d[[arm]]), method = "radix"))
      fixed <- "wave * arm"
    }
    formula <- stats::as.formula(paste(o, "~", fixed, "+ (1 | participant_id)"))
    fit <- lmerTest::lmer(formula, data = d, REML = TRUE)
    co <- summary(fit)$coefficients
    half <- stats::qt(0.975, co[, "df"]) * co[, "Std. Error"]
    models[[length(models) + 1]] <- data.frame(
      outcome = o, model = model, term = rownames(co), estimate = co[, "Estimate"],
      std_error = co[, "Std. Error"], df = co[, "df"], statistic = co[, "t value"],
      p_value = co[, "Pr(>|t|)"], conf_low = co[, "Estimate"] - half,
      conf_high = co[, "Estimate"] + half
    )
    an <- stats::anova(fit, type = 3, ddf = "Satterthwaite")
    anovas[[length(anovas) + 1]] <- data.frame(
      outcome = o, model = model, term = rownames(an), num_df = an$NumDF, den_df = an$DenDF,
      F = an[["F value"]], p_value = an[["Pr(>F)"]]
    )
    spec <- if (arm != "") ~ wave * arm else ~ wave
    em <- summary(emmeans(fit, spec, lmer.df = "satterthwaite"))
    frame <- data.frame(
      outcome = o, model = model, wave = as.character(em$wave), emmean = em$emmean,
      std_error = em$SE, df = em$df, conf_low = em$lower.CL, conf_high = em$upper.CL
    )
    if (arm != "") frame$arm <- as.character(em$arm)
    emms[[length(emms) + 1]] <- frame
    grid <- if (arm != "") emmeans(fit, ~ wave | arm, lmer.df = "satterthwaite") else
      emmeans(fit, ~ wave, lmer.df = "satterthwaite")
    raw <- summary(contrast(grid, "revpairwise", adjust = "none"))
    adj <- summary(contrast(grid, "revpairwise", adjust = adjust))
    es <- summary(eff_size(grid, sigma = sd1, edf = n1 - 1, method = "revpairwise"))
    half <- stats::qt(0.975, raw$df) * es$SE
    frame <- data.frame(
      outcome = o, model = model, contrast = as.character(raw$contrast),
      estimate = raw$estimate, std_error = raw$SE, df = raw$df, statistic = raw$t.ratio,
      p_value = raw$p.value, p_adjusted = adj$p.value, d = es$effect.size,
      d_conf_low = es$effect.size - half, d_conf_high = es$effect.size + half
    )
    if (arm != "") frame$arm <- as.character(raw$arm)
    cons[[length(cons) + 1]] <- frame
  }
}
write_table(rows(models, data.frame()), "models")
write_table(rows(anovas, data.frame()), "anova")
write_table(rows(emms, data.frame()), "emmeans")
write_table(rows(cons, data.frame()), "contrasts")

# --- correlations --------------------------------------------------------------------------------
out <- list()
for (p in predictors) {
  for (w in p$waves) {
    x <- at_wave(p$name, w)
    if (all(is.na(x))) next
    for (o in outcomes) {
      y_last <- at_wave(o, last)
      ys <- list()
      if ("last wave" %in% targets) ys[["last wave"]] <- y_last
      if ("change" %in% targets && last != baseline) ys[["change"]] <- y_last - at_wave(o, baseline)
      for (target in names(ys)) for (method in methods) {
        y <- ys[[target]]
        ok <- !is.na(x) & !is.na(y)
        n <- sum(ok)
        if (n < 4) next
        ct <- suppressWarnings(stats::cor.test(x[ok], y[ok], method = method))
        r <- unname(ct$estimate)
        ci <- if (method == "pearson") ct$conf.int else
          tanh(atanh(r) + c(-1, 1) * stats::qnorm(0.975) / sqrt(n - 3))
        out[[length(out) + 1]] <- data.frame(
          predictor = p$name, predictor_wave = w, outcome = o, target = target,
          method = method, n = n, r = r, conf_low = ci[1], conf_high = ci[2],
          p_value = ct$p.value
        )
      }
    }
  }
}
cor_table <- rows(out, data.frame())
if (nrow(cor_table)) {
  cor_table$p_holm <- NA
  cor_table$p_fdr <- NA
  for (method in methods) {
    k <- cor_table$method == method
    cor_table$p_holm[k] <- stats::p.adjust(cor_table$p_value[k], "holm")
    cor_table$p_fdr[k] <- stats::p.adjust(cor_table$p_value[k], "BH")
  }
}
write_table(cor_table, "correlations")

writeLines(
  c(R.version.string, paste("lme4", packageVersion("lme4")),
    paste("lmerTest", packageVersion("lmerTest")), paste("emmeans", packageVersion("emmeans"))),
  file.path(out_dir, "versions.txt")
)
