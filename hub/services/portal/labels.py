"""Every text the portal shows, French then English: key -> (fr, en).

Freshness and quality phrases come from the widgets' badges (widgets/badges.py, labels in
widgets/labels.py), so a dataset reads the same on the portal and in a notebook. French uses a
no-break space before ":" and ";".
"""

from __future__ import annotations

LABELS: dict[str, tuple[str, str]] = {
    # frame of every page
    "portal": ("Portail des données", "Data portal"),
    "skip": ("Aller au contenu", "Skip to content"),
    "nav_label": ("Navigation principale", "Main navigation"),
    "nav_home": ("Accueil", "Home"),
    "nav_catalog": ("Catalogue", "Catalogue"),
    "nav_workspace": ("Mon espace de travail", "My workspace"),
    "nav_reports": ("Rapports", "Reports"),
    "nav_tokens": ("Jetons d'accès", "API tokens"),
    "nav_logout": ("Se déconnecter", "Log out"),
    "signed_in": ("Connecté en tant que {name}", "Signed in as {name}"),
    "switch_language": ("English", "Français"),
    "switch_language_label": ("Read this page in English", "Lire cette page en français"),
    "footer": ("Agora — données de l'organisation, selon vos droits.",
               "Agora — your organisation's data, as your rights allow."),
    # home
    "home_title": ("Bonjour {name}", "Hello {name}"),
    "home_intro": ("Retrouvez ici vos tableaux de bord et les données que vous pouvez consulter.",
                   "Here are your dashboards and the data you may consult."),
    "dashboards": ("Mes tableaux de bord", "My dashboards"),
    "no_dashboards": ("Aucun tableau de bord pour l'instant.", "No dashboard yet."),
    "dashboard_meta": ("version {version}, publiée le {date} par {publisher}",
                       "version {version}, published on {date} by {publisher}"),
    "my_reports": ("Mes rapports", "My reports"),
    "no_reports": ("Aucun rapport pour l'instant.", "No report yet."),
    "see_reports": ("Tous mes rapports", "All my reports"),
    "report_meta": ("produit le {date}, {pages} pages", "made on {date}, {pages} pages"),
    "reports_title": ("Rapports", "Reports"),
    "reports_unavailable": ("Les rapports sont momentanément indisponibles. Réessayez dans "
                            "quelques minutes.", "Reports are unavailable for a moment. Try "
                            "again in a few minutes."),
    "reports_done": ("C'est fait : {name}.", "Done: {name}."),
    "report_name": ("Rapport", "Report"),
    "report_period": ("Période", "Period"),
    "report_made": ("Produit le", "Made on"),
    "report_pages": ("Pages", "Pages"),
    "download_pdf": ("Télécharger le PDF", "Download the PDF"),
    "my_schedules": ("Mes rapports planifiés", "My scheduled reports"),
    "no_schedules": ("Vous n'avez planifié aucun rapport.", "You have scheduled no report."),
    "schedule_next": ("prochain envoi le {date}", "next on {date}"),
    "schedule_disabled": ("suspendu", "paused"),
    "schedule_disable": ("Suspendre", "Pause"),
    "schedule_enable": ("Reprendre", "Resume"),
    "schedule_run_now": ("Produire maintenant", "Run now"),
    "new_schedule": ("Planifier un rapport", "Schedule a report"),
    "form_title": ("Titre du rapport", "Report title"),
    "form_template": ("Modèle", "Template"),
    "form_when": ("Quand", "When"),
    "form_frequency": ("Fréquence", "Frequency"),
    "frequency_daily": ("chaque jour (la veille)", "every day (the day before)"),
    "frequency_weekly": ("chaque semaine (la semaine écoulée)",
                         "every week (the week just ended)"),
    "frequency_monthly": ("chaque mois, le 1er (le mois écoulé)",
                          "every month, on the 1st (the month just ended)"),
    "form_weekday": ("Jour (chaque semaine)", "Day (every week)"),
    "weekday_mon": ("lundi", "Monday"), "weekday_tue": ("mardi", "Tuesday"),
    "weekday_wed": ("mercredi", "Wednesday"), "weekday_thu": ("jeudi", "Thursday"),
    "weekday_fri": ("vendredi", "Friday"), "weekday_sat": ("samedi", "Saturday"),
    "weekday_sun": ("dimanche", "Sunday"),
    "form_time": ("Heure (heure de Paris)", "Time (Paris time)"),
    "form_when_hint": ("Un rapport couvre la dernière période complète : un envoi du lundi "
                       "porte sur la semaine écoulée.", "A report covers the last complete "
                       "period: a Monday report is about the week just ended."),
    "form_recipients": ("Destinataires", "Recipients"),
    "form_groups": ("Groupes", "Groups"),
    "form_users": ("Utilisateurs", "Users"),
    "form_emails": ("Adresses e-mail", "E-mail addresses"),
    "form_recipients_hint": ("Séparez les noms par des virgules, par exemple : officials, "
                             "analysts.", "Separate names with commas, e.g. officials, "
                             "analysts."),
    "form_rights": ("Avec quels droits ?", "With whose rights?"),
    "form_run_recipient": ("Ceux de chaque destinataire : chacun reçoit son propre rapport, "
                           "avec ses seules données.", "Each recipient's: everyone gets a "
                           "report of their own, with only their data."),
    "form_run_owner": ("Les miens : un seul rapport pour tous (nécessaire pour des adresses "
                       "e-mail).", "Mine: one report for all (needed for e-mail addresses)."),
    "form_language": ("Langue", "Language"),
    "form_submit": ("Planifier", "Schedule"),
    "form_need_title": ("Donnez un titre au rapport.", "Give the report a title."),
    "form_bad_frequency": ("Choisissez une fréquence.", "Choose a frequency."),
    "form_bad_time": ("Écrivez l'heure comme 07:00.", "Write the time like 07:00."),
    "form_bad_weekday": ("Choisissez un jour de la semaine.", "Choose a day of the week."),
    "form_need_recipients": ("Indiquez au moins un destinataire : un groupe, un utilisateur "
                             "ou une adresse.", "Name at least one recipient: a group, a user "
                             "or an address."),
    "alerts": ("Mes alertes", "My alerts"),
    "alert_open": ("En cours depuis le {opened}", "Ongoing since {opened}"),
    "alert_closed": ("Du {opened} au {closed}, terminée", "From {opened} to {closed}, over"),
    "alert_data": ("voir les données", "see the data"),
    "catalog_teaser": ("Le catalogue des données", "The data catalogue"),
    "catalog_count": ("{count} jeux de données vous sont accessibles.",
                      "{count} datasets are open to you."),
    "catalog_count_one": ("1 jeu de données vous est accessible.", "1 dataset is open to you."),
    "browse_theme": ("Parcourir par thème", "Browse by theme"),
    "see_catalog": ("Voir tout le catalogue", "See the whole catalogue"),
    "workspace": ("Mon espace de travail", "My workspace"),
    "workspace_intro": ("Explorez les données dans vos carnets Jupyter (JupyterLab).",
                        "Explore the data in your Jupyter notebooks (JupyterLab)."),
    "workspace_open": ("Ouvrir mon espace de travail", "Open my workspace"),
    # API tokens
    "tokens_title": ("Jetons d'accès", "API tokens"),
    "tokens_intro": ("Un jeton d'accès permet à un programme (script, QGIS, R, tableur) de lire "
                     "les données avec vos droits, sans votre mot de passe. Limité comme "
                     "ci-dessous, il ne peut que lire les données : ni vos rapports, ni votre "
                     "compte.", "An API token lets a program (a script, QGIS, R, a "
                     "spreadsheet) read the data with your rights, without your password. "
                     "Limited as below, it can only read data: not your reports, not your "
                     "account."),
    "tokens_home": ("Lire les données depuis un programme (QGIS, R, Python, curl) avec un "
                    "jeton d'accès.", "Read the data from a program (QGIS, R, Python, curl) "
                    "with an API token."),
    "tokens_create": ("Créer un jeton", "Create a token"),
    "tokens_create_intro": ("Les jetons se créent sur la page des jetons du hub (en anglais). "
                            "Remplissez-la ainsi :", "Tokens are made on the hub's token "
                            "page. Fill it in like this:"),
    "tokens_step_open": ("Ouvrez la page des jetons du hub", "Open the hub's token page"),
    "tokens_step_note": ("Note : un nom qui dit où servira le jeton, par exemple « QGIS "
                         "bureau ».", "Note: a name that says where the token will be used, "
                         "e.g. \u201cQGIS office\u201d."),
    "tokens_step_expiry": ("Token expires in : 1 Week (7 jours), 1 Month (30 jours) ou 1 Year "
                           "(un an au plus). Jamais « Never ».", "Token expires in: 1 Week, "
                           "1 Month or 1 Year (a year at most). Never \u201cNever\u201d."),
    "tokens_step_scope": ("Permissions : collez exactement la ligne ci-dessous. Laissé vide, le "
                          "jeton aurait tous vos droits sur le hub.", "Permissions: paste "
                          "exactly the line below. Left empty, the token would carry all your "
                          "rights on the hub."),
    "tokens_scope_label": ("Permission à coller", "Permission to paste"),
    "tokens_step_request": ("Cliquez sur « Request new API token » et copiez le jeton affiché : "
                            "il ne sera plus jamais montré. Gardez-le dans un gestionnaire de "
                            "mots de passe, jamais dans un carnet partagé ni un courriel.",
                            "Click \u201cRequest new API token\u201d and copy the token shown: "
                            "it will never be shown again. Keep it in a password manager, never "
                            "in a shared notebook or an e-mail."),
    "tokens_open_hub": ("Ouvrir la page des jetons du hub", "Open the hub's token page"),
    "tokens_revoke": ("Voir et révoquer mes jetons", "See and revoke my tokens"),
    "tokens_revoke_text": ("La même page liste vos jetons (note, date de création, d'expiration, "
                           "dernière utilisation) avec un bouton « revoke ». Révoquez un jeton "
                           "perdu ou inutile : il cesse de fonctionner en 30 secondes au plus.",
                           "The same page lists your tokens (note, created, expires, last used) "
                           "with a \u201crevoke\u201d button. Revoke a token that is lost or no "
                           "longer needed: it stops working within 30 seconds."),
    "tokens_use": ("Utiliser le jeton", "Use the token"),
    "tokens_use_intro": ("Les exemples lisent le jeton dans la variable d'environnement "
                         "AGORA_TOKEN : il n'est écrit ni dans le code ni dans l'historique. "
                         "Adresse du service des données : {url}",
                         "The examples read the token from the environment variable "
                         "AGORA_TOKEN: it is written neither in the code nor in the history. "
                         "The datasets service's address: {url}"),
    "tokens_env": ("Mettre le jeton dans l'environnement (terminal : collez le jeton, puis "
                   "Entrée ; il ne s'affiche pas)", "Put the token in the environment "
                   "(terminal: paste the token, then Enter; it is not shown)"),
    "tokens_gdal": ("geopandas et GDAL (ogrinfo, ogr2ogr)", "geopandas and GDAL (ogrinfo, "
                    "ogr2ogr)"),
    "tokens_qgis_text": ("Lancez QGIS depuis un terminal où la variable GDAL_HTTP_HEADERS est définie "
                         "(comme pour GDAL ci-dessus), ou définissez-la dans Préférences > "
                         "Options > Système > Environnement puis redémarrez QGIS. Ensuite : "
                         "Couche > Ajouter une couche > Ajouter une couche vecteur, type de "
                         "source « Protocole : HTTP(S), cloud, etc. », et l'adresse :",
                         "Start QGIS from a terminal where GDAL_HTTP_HEADERS is set (as for "
                         "GDAL above), or set it in Settings > Options > System > Environment "
                         "and restart QGIS. Then: Layer > Add Layer > Add Vector Layer, source "
                         "type \u201cProtocol: HTTP(S), cloud, etc.\u201d, and the address:"),
    "tokens_qgis_auth": ("Avec QGIS 3.26 ou plus récent, une configuration d'authentification "
                         "« API Header » (en-tête Authorization, valeur « token » suivi du "
                         "jeton) fait de même sans variable d'environnement ; le jeton est alors "
                         "gardé chiffré par QGIS.", "With QGIS 3.26 or newer, an \u201cAPI "
                         "Header\u201d authentication configuration (header Authorization, value "
                         "\u201ctoken\u201d followed by the token) does the same without an "
                         "environment variable; QGIS then keeps the token encrypted."),
    "tokens_no_map": ("Aucune couche cartographique ne vous est accessible : remplacez "
                      "DATASET_ID.", "No map layer is open to you: replace DATASET_ID."),
    "tokens_errors": ("Une réponse 403 : jeton expiré, révoqué ou sans la permission ci-dessus. "
                      "Une réponse 404 : ce jeu de données n'existe pas ou vous n'y avez pas "
                      "accès.", "A 403 answer: the token expired, was revoked or lacks the "
                      "permission above. A 404 answer: the dataset does not exist or you may "
                      "not read it."),
    "tokens_more": ("Toute l'API est décrite au format OpenAPI :",
                    "The whole API is described in OpenAPI:"),
    # catalogue
    "catalog_title": ("Catalogue des données", "Data catalogue"),
    "search_label": ("Rechercher un jeu de données", "Search for a dataset"),
    "search_hint": ("Un mot du titre, de la description ou des mots-clés",
                    "A word of the title, description or keywords"),
    "search_button": ("Rechercher", "Search"),
    "theme_label": ("Thème", "Theme"),
    "keyword_label": ("Mot-clé", "Keyword"),
    "any": ("Tous", "All"),
    "results": ("{count} jeux de données", "{count} datasets"),
    "results_one": ("1 jeu de données", "1 dataset"),
    "no_results": ("Aucun jeu de données ne correspond à votre recherche.",
                   "No dataset matches your search."),
    "clear_search": ("Effacer la recherche", "Clear the search"),
    "filters_label": ("Affiner", "Narrow down"),
    "rows": ("{count} lignes", "{count} rows"),
    "rows_one": ("1 ligne", "1 row"),
    "keywords": ("Mots-clés", "Keywords"),
    "synthetic": ("Données fictives", "Synthetic data"),
    # dataset page
    "about": ("Description", "Description"),
    "facts": ("Fiche", "Key facts"),
    "publisher": ("Producteur", "Publisher"),
    "licence": ("Licence", "Licence"),
    "contact": ("Contact", "Contact"),
    "frequency": ("Mise à jour", "Updated"),
    "spatial": ("Territoire couvert", "Area covered"),
    "badge": ("{label}\u00a0: {value}", "{label}: {value}"),
    "freshness": ("Fraîcheur", "Freshness"),
    "quality": ("Qualité", "Quality"),
    "rows_you_see": ("Lignes visibles pour vous", "Rows you can see"),
    "not_counted": ("non comptées", "not counted"),
    "columns": ("Colonnes", "Columns"),
    "columns_intro": ("Les colonnes telles que vos droits vous les montrent.",
                      "The columns as your rights show them to you."),
    "column_name": ("Colonne", "Column"),
    "column_title": ("Intitulé", "Title"),
    "column_type": ("Type", "Type"),
    "column_unit": ("Unité", "Unit"),
    "column_note": ("Remarque", "Note"),
    "no_columns": ("Ce jeu de données n'a pas encore été chargé.",
                   "This dataset has not been loaded yet."),
    "downloads": ("Télécharger", "Download"),
    "downloads_intro": ("Les fichiers contiennent uniquement les lignes et colonnes que vous "
                        "pouvez voir.",
                        "The files hold only the rows and columns you may see."),
    "api": ("Utiliser l'API", "Use the API"),
    "api_intro": ("Pour lire ces données depuis un programme, créez un jeton d'accès personnel "
                  "et remplacez VOTRE_JETON par celui-ci. Ne le partagez pas : il donne vos "
                  "droits.",
                  "To read this data from a program, create a personal access token and put it "
                  "in place of YOUR_TOKEN. Do not share it: it carries your rights."),
    "token_page": ("Créer un jeton d'accès", "Create an access token"),
    "token_placeholder": ("VOTRE_JETON", "YOUR_TOKEN"),
    "in_workspace": ("Dans votre espace de travail (une ligne suffit)",
                     "In your workspace (one line is enough)"),
    "lineage": ("Origine des données", "Where the data comes from"),
    "source": ("Source", "Source"),
    "steps": ("Traitements", "Processing"),
    "snapshot": ("Version", "Version"),
    "snapshot_value": ("du {date} (n° {version})", "of {date} (no. {version})"),
    "versions_kept": ("{count} versions conservées", "{count} versions kept"),
    "back_to_catalog": ("Retour au catalogue", "Back to the catalogue"),
    "yes": ("oui", "yes"),
    # errors
    "not_found_title": ("Page introuvable", "Page not found"),
    "not_found_text": ("Ce jeu de données ou cette page n'existe pas, ou vous n'y avez pas accès.",
                       "This dataset or page does not exist, or you do not have access to it."),
    "unavailable_title": ("Catalogue momentanément indisponible",
                          "Catalogue temporarily unavailable"),
    "unavailable_text": ("Le service des données ne répond pas. Réessayez dans quelques minutes ; "
                         "si cela dure, prévenez l'équipe données.",
                         "The data service is not answering. Try again in a few minutes; if it "
                         "lasts, tell the data team."),
    "error_title": ("Une erreur est survenue", "Something went wrong"),
    "error_text": ("La page n'a pas pu être affichée. Réessayez ; si cela dure, prévenez "
                   "l'équipe données.",
                   "The page could not be shown. Try again; if it lasts, tell the data team."),
    "go_home": ("Revenir à l'accueil du portail", "Back to the portal's home"),
}

# the recipes' update_frequency words
FREQUENCIES: dict[str, tuple[str, str]] = {
    "continuous": ("en continu", "continuously"),
    "hourly": ("toutes les heures", "every hour"),
    "daily": ("chaque jour", "every day"),
    "weekly": ("chaque semaine", "every week"),
    "biweekly": ("toutes les deux semaines", "every two weeks"),
    "monthly": ("chaque mois", "every month"),
    "quarterly": ("chaque trimestre", "every quarter"),
    "semiannual": ("deux fois par an", "twice a year"),
    "annual": ("chaque année", "every year"),
    "irregular": ("irrégulièrement", "irregularly"),
}

# column types (Arrow names, by their first word) and column rules, in plain words
TYPES: dict[str, tuple[str, str]] = {
    "string": ("texte", "text"), "large_string": ("texte", "text"),
    "int": ("nombre entier", "whole number"), "uint": ("nombre entier", "whole number"),
    "double": ("nombre", "number"), "float": ("nombre", "number"),
    "decimal": ("nombre", "number"), "bool": ("oui / non", "yes / no"),
    "date": ("date", "date"), "timestamp": ("date et heure", "date and time"),
    "geometry": ("position sur une carte", "place on a map"),
}
RULES: dict[str, tuple[str, str]] = {
    "pseudonymised": ("remplacé par un code (pseudonymisé)", "replaced by a code (pseudonymised)"),
    "generalised to year": ("arrondi à l'année", "rounded to the year"),
    "generalised to month": ("arrondi au mois", "rounded to the month"),
    "generalised to decade": ("arrondi à la décennie", "rounded to the decade"),
    "generalised to band": ("regroupé par tranches", "grouped in bands"),
}

# connectors and processors (hub/pipeline/registry.py names), for the lineage
CONNECTORS: dict[str, tuple[str, str]] = {
    "csv": ("fichier CSV", "CSV file"), "xlsx": ("classeur Excel", "Excel workbook"),
    "json": ("fichier JSON", "JSON file"), "parquet": ("fichier Parquet", "Parquet file"),
    "geoparquet": ("fichier GeoParquet", "GeoParquet file"),
    "geojson": ("fichier GeoJSON", "GeoJSON file"),
    "shapefile_zip": ("fichier Shapefile (zip)", "Shapefile (zip)"),
    "sql": ("base de données (SQL)", "database (SQL)"),
    "opendatasoft": ("portail Opendatasoft", "Opendatasoft portal"),
    "ckan": ("portail CKAN", "CKAN portal"), "wfs": ("service cartographique WFS", "WFS map service"),
}
PROCESSORS: dict[str, tuple[str, str]] = {
    "rename": ("colonnes renommées", "columns renamed"),
    "select": ("colonnes choisies", "columns chosen"),
    "deduplicate": ("doublons retirés", "duplicates removed"),
    "normalise_dates": ("dates harmonisées", "dates normalised"),
    "normalise_text": ("textes harmonisés", "text normalised"),
    "parse_numbers": ("nombres lus", "numbers parsed"),
    "validate": ("valeurs contrôlées", "values checked"),
    "anonymise": ("données personnelles protégées", "personal data protected"),
    "derive": ("colonnes calculées", "columns computed"),
    "join": ("enrichi avec un autre jeu de données", "enriched from another dataset"),
    "geo_join": ("rattaché à un territoire", "matched to an area"),
    "geo_points": ("positions géographiques", "map positions"),
    "geo_reproject": ("coordonnées converties", "coordinates converted"),
}

# export formats (hub/services/datasets/http/paths.py) -> (name, what it is for)
FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV — tableur ou texte", "CSV — spreadsheet or text"),
    "xlsx": ("Excel (XLSX)", "Excel (XLSX)"),
    "geojson": ("GeoJSON — pour une carte (SIG)", "GeoJSON — for a map (GIS)"),
    "parquet": ("Parquet — pour les outils d'analyse", "Parquet — for analysis tools"),
}

# licences as recipes name them (SPDX ids and words)
LICENCES: dict[str, tuple[str, str]] = {
    "etalab-2.0": ("Licence Ouverte 2.0 (Etalab)", "Open Licence 2.0 (Etalab)"),
    "odbl-1.0": ("Licence ODbL 1.0", "ODbL 1.0 licence"),
    "cc-by-4.0": ("Creative Commons CC BY 4.0", "Creative Commons CC BY 4.0"),
    "cc0-1.0": ("Domaine public (CC0)", "Public domain (CC0)"),
    "proprietary": ("Usage interne uniquement", "Internal use only"),
}
