# R functions that fit one reference design with lme4 + lmerTest + emmeans and describe the
# fit as a list that to_json() writes at full precision ("%.17g").
#
# Sourced by make_reference.R (stored reference JSON) and, through it, by the live randomised
# test tests/stats/test_lmer_live_r.py. Validated against: lme4 1.1-31, lmerTest 3.1-3,
# emmeans 1.8.4 on R 4.2.2.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(emmeans)
})

emm_options(lmer.df = "satterthwaite", lmerTest.limit = Inf, pbkrtest.limit = Inf)

# ---------------------------------------------------------------------------------------------
# JSON at full precision. jsonlite's toJSON(digits = NA) prints 15 significant digits only, so
# numbers are written with sprintf("%.17g"), which round-trips every double exactly.

json_string <- function(x) {
  x <- gsub("\\", "\\\\", x, fixed = TRUE)
  x <- gsub("\"", "\\\"", x, fixed = TRUE)
  x <- gsub("\n", "\\n", x, fixed = TRUE)
  x <- gsub("\t", "\\t", x, fixed = TRUE)
  x <- gsub("\r", "\\r", x, fixed = TRUE)
  paste0("\"", x, "\"")
}

json_atoms <- function(x) {
  if (is.factor(x)) x <- as.character(x)
  if (is.logical(x)) {
    return(ifelse(is.na(x), "null", ifelse(x, "true", "false")))
  }
  if (is.numeric(x)) {
    x <- as.double(x)
    out <- sprintf("%.17g", x)
    out[is.infinite(x) & x > 0] <- "1e999" # parsed as inf by Python's json
    out[is.infinite(x) & x < 0] <- "-1e999"
    out[is.na(x)] <- "null"
    return(out)
  }
  if (is.character(x)) {
    return(ifelse(is.na(x), "null", json_string(x)))
  }
  stop("cannot write JSON for class ", class(x)[1])
}

# Atomic vectors of length 1 become scalars unless wrapped in I(); all other vectors arrays.
# Data frames become objects of column arrays; matrices arrays of row arrays; named lists
# objects; unnamed lists arrays.
to_json <- function(x, indent = 0L) {
  pad <- strrep(" ", indent + 1L)
  if (is.null(x)) {
    return("null")
  }
  if (is.data.frame(x)) {
    cols <- lapply(as.list(x), function(col) I(unclass_keep(col)))
    return(to_json(cols, indent))
  }
  if (is.matrix(x)) {
    rows <- lapply(seq_len(nrow(x)), function(i) I(unname(x[i, ])))
    return(to_json(rows, indent))
  }
  if (is.list(x)) {
    if (length(x) == 0L) {
      return(if (is.null(names(x))) "[]" else "{}")
    }
    parts <- vapply(x, to_json, "", indent = indent + 1L)
    if (!is.null(names(x))) {
      parts <- paste0(json_string(names(x)), ": ", parts)
      return(paste0("{\n", pad, paste(parts, collapse = paste0(",\n", pad)), "\n",
                    strrep(" ", indent), "}"))
    }
    return(paste0("[\n", pad, paste(parts, collapse = paste0(",\n", pad)), "\n",
                  strrep(" ", indent), "]"))
  }
  atoms <- json_atoms(unclass_keep(x))
  if (length(x) == 1L && !inherits(x, "AsIs")) {
    return(atoms)
  }
  paste0("[", paste(atoms, collapse = ", "), "]")
}

unclass_keep <- function(x) {
  if (is.factor(x)) {
    return(as.character(x))
  }
  if (inherits(x, "AsIs")) class(x) <- setdiff(class(x), "AsIs")
  as.vector(x)
}

# ---------------------------------------------------------------------------------------------
# Data

# Character columns become factors with levels in C-locale sorted order (what R's factor()
# gives for these ASCII labels in any locale), unless the design fixes the order explicitly.
prepare_data <- function(data, levels = list()) {
  for (col in names(data)) {
    if (!is.null(levels[[col]])) {
      data[[col]] <- factor(data[[col]], levels = unlist(levels[[col]]))
    } else if (is.character(data[[col]])) {
      data[[col]] <- factor(data[[col]], levels = sort(unique(data[[col]]), method = "radix"))
    }
  }
  data
}

# MD5 of the values exactly as R parsed them: every column, in order, one value a line,
# numbers as sprintf("%.17g") and missing values as "NA". The Python tests compute the same
# digest from pandas' parse of the CSV, proving both sides fit the same doubles.
data_md5 <- function(raw) {
  lines <- unlist(lapply(raw, function(col) {
    out <- if (is.numeric(col)) sprintf("%.17g", as.double(col)) else as.character(col)
    out[is.na(col)] <- "NA"
    out
  }), use.names = FALSE)
  path <- tempfile(fileext = ".txt")
  on.exit(unlink(path))
  con <- file(path, open = "wb")
  writeLines(lines, con, sep = "\n", useBytes = TRUE)
  close(con)
  unname(tools::md5sum(path))
}

# ---------------------------------------------------------------------------------------------
# Fitting

# lme4's own optimiser settings (the fit users see) and a tight run of the same optimiser that
# reaches the optimum of lme4's deviance function to ~1e-10 in theta.
TIGHT_CONTROL <- lmerControl(
  optimizer = "nloptwrap",
  optCtrl = list(xtol_abs = 1e-13, ftol_abs = 1e-15, xtol_rel = 1e-13, ftol_rel = 1e-15,
                 maxeval = 100000L)
)

fit_model <- function(formula, data, reml, tight = FALSE, start = NULL) {
  log <- character()
  control <- if (tight) TIGHT_CONTROL else lmerControl()
  fit <- withCallingHandlers(
    lmerTest::lmer(as.formula(formula), data = data, REML = reml, control = control,
                   start = if (is.null(start)) NULL else list(theta = start)),
    warning = function(w) {
      log <<- c(log, paste("warning:", conditionMessage(w)))
      invokeRestart("muffleWarning")
    },
    message = function(m) {
      log <<- c(log, paste("message:", trimws(conditionMessage(m))))
      invokeRestart("muffleMessage")
    }
  )
  attr(fit, "log") <- log
  fit
}

quietly <- function(expr) {
  withCallingHandlers(expr,
    warning = function(w) invokeRestart("muffleWarning"),
    message = function(m) invokeRestart("muffleMessage")
  )
}

named_vector <- function(x) list(names = I(names(x)), values = I(unname(x)))

coef_table <- function(fit) {
  co <- summary(fit)$coefficients
  q <- qt(0.975, co[, "df"])
  data.frame(
    term = rownames(co), estimate = co[, "Estimate"], std_error = co[, "Std. Error"],
    df = co[, "df"], statistic = co[, "t value"], p_value = co[, "Pr(>|t|)"],
    conf_low = co[, "Estimate"] - q * co[, "Std. Error"],
    conf_high = co[, "Estimate"] + q * co[, "Std. Error"],
    stringsAsFactors = FALSE
  )
}

anova_table <- function(fit, type) {
  a <- quietly(anova(fit, type = type, ddf = "Satterthwaite"))
  data.frame(
    term = rownames(a), sum_sq = a[["Sum Sq"]], mean_sq = a[["Mean Sq"]],
    num_df = a[["NumDF"]], den_df = a[["DenDF"]], F = a[["F value"]], p_value = a[["Pr(>F)"]],
    stringsAsFactors = FALSE
  )
}

ranef_tables <- function(fit, max_levels) {
  re <- ranef(fit)
  lapply(re, function(tab) {
    n <- nrow(tab)
    keep <- seq_len(min(n, max_levels))
    list(
      n_levels = n,
      levels = I(rownames(tab)[keep]),
      columns = I(names(tab)),
      values = lapply(as.list(tab), function(col) I(unname(col[keep])))
    )
  })
}

emmeans_record <- function(fit, spec) {
  spec <- unlist(spec)
  emm <- quietly(emmeans(fit, specs = spec))
  tab <- as.data.frame(summary(emm))
  out <- tab[, spec, drop = FALSE]
  out$emmean <- tab$emmean
  out$std_error <- tab$SE
  out$df <- tab$df
  out$conf_low <- tab$lower.CL
  out$conf_high <- tab$upper.CL
  contrasts <- list()
  runs <- list(
    list(method = "pairwise", adjust = "holm"),
    list(method = "pairwise", adjust = "tukey"),
    list(method = "pairwise", adjust = "none"),
    list(method = "pairwise", adjust = "bonferroni"),
    list(method = "trt.vs.ctrl", adjust = "holm")
  )
  for (run in runs) {
    plain <- as.data.frame(quietly(summary(contrast(emm, run$method, adjust = "none"),
                                           infer = c(TRUE, TRUE))))
    adj <- as.data.frame(quietly(summary(contrast(emm, run$method, adjust = run$adjust),
                                         infer = c(FALSE, TRUE))))
    stopifnot(identical(as.character(plain$contrast), as.character(adj$contrast)))
    contrasts[[length(contrasts) + 1L]] <- list(
      method = run$method, adjust = run$adjust,
      table = data.frame(
        contrast = as.character(plain$contrast), estimate = plain$estimate,
        std_error = plain$SE, df = plain$df, statistic = plain$t.ratio,
        p_value = plain$p.value, p_adjusted = adj$p.value,
        conf_low = plain$lower.CL, conf_high = plain$upper.CL, stringsAsFactors = FALSE
      )
    )
  }
  list(spec = I(spec), table = out, contrasts = contrasts)
}

converged_flag <- function(fit) {
  # Converged: the optimiser reported success and lme4 raised no convergence message (a
  # boundary "singular" fit is reported separately, not as a convergence failure).
  conv <- fit@optinfo$conv
  msgs <- unlist(conv$lme4$messages)
  bad <- msgs[!grepl("singular", msgs, fixed = TRUE)]
  (is.null(conv$opt) || conv$opt == 0) && length(bad) == 0L
}

describe_fit <- function(fit, emmeans_specs = list(), max_rows = 1000L, type1 = TRUE) {
  reml <- isREML(fit)
  dev_warning <- character()
  dev_default <- withCallingHandlers(deviance(fit), warning = function(w) {
    dev_warning <<- conditionMessage(w)
    invokeRestart("muffleWarning")
  })
  vc <- as.data.frame(VarCorr(fit))
  vc$grp <- as.character(vc$grp)
  ll <- logLik(fit)
  beta <- fixef(fit)
  V <- as.matrix(vcov(fit))
  fitted_values <- unname(fitted(fit))
  resid_values <- unname(residuals(fit))
  n_keep <- min(length(fitted_values), max_rows)
  list(
    nobs = nobs(fit),
    n_excluded = length(attr(model.frame(fit), "na.action")),
    ngroups = as.list(ngrps(fit)),
    reml = reml,
    theta = named_vector(getME(fit, "theta")),
    lower = I(unname(getME(fit, "lower"))),
    fixef = named_vector(beta),
    std_error = I(unname(sqrt(diag(V)))),
    vcov = V,
    varcorr = vc,
    sigma = sigma(fit),
    loglik = as.numeric(ll),
    loglik_df = attr(ll, "df"),
    aic = AIC(fit),
    bic = BIC(fit),
    deviance = dev_default,
    deviance_warning = if (length(dev_warning)) dev_warning else NULL,
    deviance_ml = deviance(fit, REML = FALSE),
    reml_criterion = if (reml) REMLcrit(fit) else NULL,
    singular = isSingular(fit, tol = 1e-4),
    converged = converged_flag(fit),
    optimizer = fit@optinfo$optimizer,
    feval = fit@optinfo$feval,
    optimizer_messages = I(c(as.character(unlist(fit@optinfo$conv$lme4$messages)),
                             attr(fit, "log"))),
    coefficients = coef_table(fit),
    anova_type3 = anova_table(fit, 3),
    anova_type1 = if (type1) anova_table(fit, 1) else NULL,
    ranef = ranef_tables(fit, max_rows),
    fitted = list(n = length(fitted_values), values = I(fitted_values[seq_len(n_keep)])),
    residuals = list(n = length(resid_values), values = I(resid_values[seq_len(n_keep)])),
    emmeans = lapply(emmeans_specs, function(spec) emmeans_record(fit, spec))
  )
}

lrt_record <- function(m0, m1) {
  a <- quietly(anova(m0, m1))
  data.frame(
    model = c("m0", "m1"),
    npar = a$npar, aic = a$AIC, bic = a$BIC, loglik = a$logLik, deviance = a$deviance,
    chisq = a$Chisq, df = a$Df, p_value = a[["Pr(>Chisq)"]], stringsAsFactors = FALSE
  )
}

devfun_value <- function(devfun, theta) {
  as.numeric(devfun(as.numeric(theta)))
}

# Fit one design from its manifest entry (a list from jsonlite::fromJSON(simplifyVector =
# FALSE)) and data file; returns the list written as <name>.json.
#   tight: also refit with TIGHT_CONTROL (the optimum of lme4's own deviance function).
#   devfun_at: extra theta vectors at which to evaluate lme4's deviance function.
#   lean: describe the default fit without emmeans, Type I anova, ranef and fitted values
#     (the live test compares those with the tight fit only; halves R's time).
fit_design <- function(entry, data_path, tight = TRUE, devfun_at = list(), max_rows = 1000L,
                       lean = FALSE) {
  raw <- utils::read.csv(data_path, stringsAsFactors = FALSE, na.strings = "NA")
  data <- prepare_data(raw, entry$levels)
  reml <- isTRUE(entry$reml)
  specs <- entry$emmeans

  default <- fit_model(entry$formula, data, reml)
  out <- list(
    name = entry$name,
    formula = entry$formula,
    reml = reml,
    data = list(file = entry$data, nrow = nrow(raw), columns = I(names(raw)),
                md5 = data_md5(raw)),
    default = if (lean && tight) {
      describe_fit(default, list(), 0L, type1 = FALSE)
    } else {
      describe_fit(default, specs, max_rows)
    }
  )

  devfun <- lmer(as.formula(entry$formula), data = data, REML = reml, devFunOnly = TRUE)
  points <- list(list(label = "default", theta = I(unname(getME(default, "theta"))),
                      value = devfun_value(devfun, getME(default, "theta"))))
  requested <- lapply(seq_along(devfun_at), function(i) {
    th <- as.numeric(unlist(devfun_at[[i]]))
    list(label = sprintf("requested %d", i), theta = I(th), value = devfun_value(devfun, th))
  })
  if (tight) {
    tight_fit <- fit_model(entry$formula, data, reml, tight = TRUE)
    out$tight_start <- "lme4's default start"
    # lme4's optimiser can stop at a local optimum (e.g. on a boundary). If lme4's own
    # deviance function is lower at a requested theta (the live test sends linkwork's), the
    # tight fit is redone from there, so the reference is the best optimum of lme4's own
    # criterion; the default fit is left as R users get it.
    values <- vapply(requested, function(p) p$value, 0)
    best <- if (length(values)) which.min(values) else integer()
    crit_tight <- devfun_value(devfun, getME(tight_fit, "theta"))
    if (length(best) && values[best] < crit_tight - 1e-10 * abs(crit_tight)) {
      tight_fit <- fit_model(entry$formula, data, reml, tight = TRUE,
                             start = as.numeric(requested[[best]]$theta))
      out$tight_start <- paste("lower criterion found at", requested[[best]]$label)
    }
    out$tight <- describe_fit(tight_fit, specs, max_rows)
    th <- getME(tight_fit, "theta")
    points[[length(points) + 1L]] <- list(label = "tight", theta = I(unname(th)),
                                          value = devfun_value(devfun, th))
    # Numerical gradient at the tight optimum (a diagnostic: ~0 away from the boundary).
    out$tight_gradient <- I(numDeriv::grad(function(x) devfun_value(devfun, x), th))
    # Two points away from the optimum (theta scaled by 0.8 and 1.25), so an engine that
    # exposes its criterion can be compared with lme4's at the same, arbitrary theta.
    for (k in c(0.8, 1.25)) {
      away <- pmax(th * k + ifelse(th == 0, 0.05 * k, 0), getME(tight_fit, "lower"))
      points[[length(points) + 1L]] <- list(label = sprintf("tight x %g", k),
                                            theta = I(unname(away)),
                                            value = devfun_value(devfun, away))
    }
  }
  out$devfun <- c(points, requested)

  if (length(entry$lrt)) {
    out$lrt <- lapply(entry$lrt, function(pair) {
      f0 <- unlist(pair)[1]
      f1 <- unlist(pair)[2]
      m0 <- fit_model(f0, data, reml)
      m1 <- fit_model(f1, data, reml)
      rec <- list(m0 = f0, m1 = f1, default = lrt_record(m0, m1))
      if (tight) {
        # The ML fits at the tight optimum (anova() refits REML fits with ML using bobyqa at
        # its default tolerance; here both models are fitted by ML directly).
        t0 <- fit_model(f0, data, FALSE, tight = TRUE)
        t1 <- fit_model(f1, data, FALSE, tight = TRUE)
        rec$tight <- lrt_record(t0, t1)
      }
      rec
    })
  }
  out
}

versions <- function() {
  pkgs <- c("lme4", "lmerTest", "emmeans", "Matrix", "nloptr")
  c(list(R = paste(R.version$major, R.version$minor, sep = ".")),
    setNames(lapply(pkgs, function(p) as.character(utils::packageVersion(p))), pkgs))
}
