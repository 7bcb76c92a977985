"""Every text the widgets show, French then English: key -> (fr, en).

Placeholders are filled by :func:`widgets.i18n.t`. French uses a no-break space before ":"
and ";" and a narrow one before "%".
"""

LABELS: dict[str, tuple[str, str]] = {
    # values and common words
    "missing": ("n.d.", "n/a"),
    "no_data": ("Aucune donnée pour ces filtres.", "No data for these filters."),
    "date": ("Date", "Date"),
    "separator": ("\u00a0; ", "; "),
    "label_value": ("{label}\u00a0: {value}", "{label}: {value}"),
    "suppressed_note": ("{count} groupe(s) masqué(s)\u00a0: trop peu de lignes pour être publiés.",
                        "{count} group(s) hidden: too few rows to be shown."),
    # time ago
    "ago": ("il y a {count} {unit}", "{count} {unit} ago"),
    "ago_now": ("à l'instant", "just now"),
    "unit_minute": ("minute", "minute"),
    "unit_hour": ("heure", "hour"),
    "unit_day": ("jour", "day"),
    "unit_month": ("mois", "month"),
    "unit_year": ("an", "year"),
    # measures (aggregate)
    "measure_count": ("nombre de lignes", "number of rows"),
    "measure_count_col": ("nombre de {column}", "count of {column}"),
    "measure_distinct": ("{column} distincts", "distinct {column}"),
    "measure_sum": ("total de {column}", "total {column}"),
    "measure_mean": ("moyenne de {column}", "mean {column}"),
    "measure_min": ("minimum de {column}", "minimum {column}"),
    "measure_max": ("maximum de {column}", "maximum {column}"),
    "measure_quantile": ("{p}e centile de {column}", "{p}th percentile of {column}"),
    # chart text alternatives
    "alt_timeseries": ("courbe de {what} du {start} au {end}", "line chart of {what} from "
                       "{start} to {end}"),
    "alt_series": ("{count} séries\u00a0: {names}", "{count} series: {names}"),
    "alt_peak": ("valeur la plus haute\u00a0: {value} le {date}",
                 "highest value: {value} on {date}"),
    "alt_threshold": ("valeurs au-dessus du seuil « {label} » ({value})\u00a0: {count}",
                      "values above the threshold “{label}” ({value}): {count}"),
    "alt_bars": ("diagramme en barres de {what} par {category} ({count} barres)",
                 "bar chart of {what} by {category} ({count} bars)"),
    "alt_stacked": (", empilées par {stack}", ", stacked by {stack}"),
    "alt_extremes": ("la plus haute\u00a0: {top}\u00a0; la plus basse\u00a0: {bottom}",
                     "highest: {top}; lowest: {bottom}"),
    # KPI cards
    "sparkline": ("Évolution sur {count} périodes, de {first} à {last} (min. {low}, max. {high})",
                  "Trend over {count} periods, from {first} to {last} (min {low}, max {high})"),
    "change_up": ("en hausse", "up"),
    "change_down": ("en baisse", "down"),
    "change_flat": ("stable", "unchanged"),
    "vs_previous": ("période précédente\u00a0: {value}", "previous period: {value}"),
    "on_track": ("dans l'objectif", "on track"),
    "off_target": ("hors objectif", "off target"),
    "target": ("objectif\u00a0: {goal}", "target: {goal}"),
    # tables and exports
    "rows_shown": ("{shown} sur {total} lignes", "{shown} of {total} rows"),
    "rows_range": ("lignes {first} à {last} sur {total}", "rows {first}–{last} of {total}"),
    "rows_shown_unknown": ("{shown} lignes affichées", "{shown} rows shown"),
    "suppressed_cell": ("masqué", "hidden"),
    "yes": ("oui", "yes"),
    "no": ("non", "no"),
    "sort_by": ("Trier par", "Sort by"),
    "sort_none": ("(ordre du jeu de données)", "(dataset order)"),
    "previous": ("Précédent", "Previous"),
    "next": ("Suivant", "Next"),
    "export_csv": ("Exporter en CSV", "Export as CSV"),
    "export_xlsx": ("Exporter en Excel", "Export as Excel"),
    "export_unavailable": ("Export indisponible\u00a0: adresse du service de données inconnue.",
                           "Export unavailable: the datasets service address is unknown."),
    "download_file": ("Télécharger {file} ({size} ko)", "Download {file} ({size} kB)"),
    # freshness and quality
    "fresh_good": ("À jour", "Up to date"),
    "fresh_warn": ("En retard", "Overdue"),
    "fresh_bad": ("Actualisation en échec", "Refresh failing"),
    "fresh_neutral": ("Fraîcheur", "Freshness"),
    "updated_ago": ("mis à jour {ago}", "updated {ago}"),
    "never_updated": ("jamais mis à jour", "never updated"),
    "version": ("version {version}", "version {version}"),
    "quality_good": ("Qualité vérifiée", "Quality checked"),
    "quality_warn": ("À vérifier", "To check"),
    "quality_unknown": ("Qualité", "Quality"),
    "quality_no_issue": ("aucun problème détecté par les contrôles", "no issue found by the "
                         "checks"),
    "quality_issues": ("{count} valeurs à vérifier", "{count} values to check"),
    "quality_withheld": ("non communiquée\u00a0: les contrôles portent aussi sur des lignes hors de "
                         "vos droits", "not shown: the checks also cover rows outside your "
                         "rights"),
    "quality_not_checked": ("aucun contrôle déclaré pour ce jeu de données",
                            "no checks declared for this dataset"),
    # filters
    "filters_active": ("Filtres\u00a0: {filters}", "Filters: {filters}"),
    "filters_none": ("Aucun filtre\u00a0: toutes les lignes que vos droits permettent.",
                     "No filter: every row your rights allow."),
    "filters_reset": ("Effacer les filtres", "Clear the filters"),
    "filter_in": ("{column} parmi {values}", "{column} among {values}"),
    "filter_contains": ("{column} contient « {text} »", "{column} contains “{text}”"),
    "filter_range": ("{column} de {start} à {end}", "{column} from {start} to {end}"),
    "filter_dates": ("{column} du {start} au {end}", "{column} from {start} to {end}"),
    "date_from": ("Du", "From"),
    "date_to": ("Au", "To"),
    "contains": ("contient…", "contains…"),
}
