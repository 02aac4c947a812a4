//! The tray icon: the sources' overall health at a glance (all good, a source needs sign-in, a
//! source has an error) as a coloured dot on the app's icon and a line in its menu, plus *Show
//! Lanyard* and *Quit*. The window works out the health from the status it reads anyway and
//! tells the tray (`set_health`), so the keychain is not read a second time for it.
//!
//! A desktop without a tray (no StatusNotifier host, as under Xvfb) is normal: the icon is then
//! simply not seen, and a tray that cannot be made at all is logged and left out.

use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Wry};

use crate::wire::HealthView;

/// The tray as the app holds it: absent when this desktop could not make one.
pub struct AppTray(Option<Tray>);

pub struct Tray {
    icon: TrayIcon,
    status: MenuItem<Wry>,
    base: Image<'static>,
}

impl AppTray {
    pub fn build(app: &AppHandle) -> Self {
        match Tray::build(app) {
            Ok(tray) => Self(Some(tray)),
            Err(err) => {
                tracing::warn!(%err, "no tray icon on this desktop");
                Self(None)
            }
        }
    }

    /// Whether this desktop has the tray (so a closed window can be brought back from it).
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// Shows `health`; without a tray there is nothing to show it on.
    pub fn show(&self, health: HealthView) {
        if let Some(tray) = &self.0
            && let Err(err) = tray.show(health)
        {
            tracing::debug!(%err, "could not update the tray icon");
        }
    }
}

impl Tray {
    fn build(app: &AppHandle) -> tauri::Result<Self> {
        let base =
            app.default_window_icon().cloned().map(Image::to_owned).ok_or(tauri::Error::InvalidIcon(
                std::io::Error::new(std::io::ErrorKind::NotFound, "the app has no icon"),
            ))?;
        let status = MenuItem::with_id(app, "health", label(HealthView::AllGood), false, None::<&str>)?;
        let show = MenuItem::with_id(app, "show", "Show Lanyard", true, None::<&str>)?;
        let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
        let menu = Menu::with_items(app, &[&status, &PredefinedMenuItem::separator(app)?, &show, &quit])?;
        let icon = TrayIconBuilder::with_id("health")
            .icon(with_dot(&base, HealthView::AllGood))
            .tooltip(label(HealthView::AllGood))
            .menu(&menu)
            .on_menu_event(|app, event| match event.id().as_ref() {
                "show" => crate::lifecycle::show_main(app),
                "quit" => app.exit(0),
                _ => {}
            })
            .build(app)?;
        Ok(Self { icon, status, base })
    }

    fn show(&self, health: HealthView) -> tauri::Result<()> {
        self.icon.set_icon(Some(with_dot(&self.base, health)))?;
        self.icon.set_tooltip(Some(label(health)))?;
        self.status.set_text(label(health))
    }
}

/// The health in words, for the menu line and the tooltip.
pub fn label(health: HealthView) -> &'static str {
    match health {
        HealthView::AllGood => "Lanyard: all sources good",
        HealthView::NeedsSignIn => "Lanyard: a source needs sign-in",
        HealthView::Error => "Lanyard: a source has an error",
    }
}

/// The dot's colour (RGBA): green, amber, red.
fn colour(health: HealthView) -> [u8; 4] {
    match health {
        HealthView::AllGood => [0x2f, 0x9e, 0x44, 0xff],
        HealthView::NeedsSignIn => [0xf0, 0x8c, 0x00, 0xff],
        HealthView::Error => [0xe0, 0x31, 0x31, 0xff],
    }
}

/// `base` with a filled dot of the health's colour, ringed in white, in its lower right corner.
fn with_dot(base: &Image<'_>, health: HealthView) -> Image<'static> {
    let (width, height) = (base.width(), base.height());
    let mut rgba = base.rgba().to_vec();
    let radius = f64::from(width.min(height)) * 0.22;
    let (cx, cy) = (f64::from(width) - radius - 1.0, f64::from(height) - radius - 1.0);
    let ring = (radius * 0.18).max(1.0);
    for y in 0..height {
        for x in 0..width {
            let distance = (f64::from(x) + 0.5 - cx).hypot(f64::from(y) + 0.5 - cy);
            let pixel = if distance <= radius - ring {
                colour(health)
            } else if distance <= radius {
                [0xff, 0xff, 0xff, 0xff]
            } else {
                continue;
            };
            let at = ((y * width + x) * 4) as usize;
            rgba[at..at + 4].copy_from_slice(&pixel);
        }
    }
    Image::new_owned(rgba, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(image: &Image<'_>, x: u32, y: u32) -> [u8; 4] {
        let at = ((y * image.width() + x) * 4) as usize;
        image.rgba()[at..at + 4].try_into().unwrap()
    }

    #[test]
    fn the_dot_takes_the_health_colour_and_leaves_the_rest_alone() {
        let base = Image::new_owned(vec![10; 32 * 32 * 4], 32, 32);
        for health in [HealthView::AllGood, HealthView::NeedsSignIn, HealthView::Error] {
            let dotted = with_dot(&base, health);
            assert_eq!(pixel(&dotted, 25, 25), colour(health), "{health:?}: the dot's centre has its colour");
            assert_eq!(pixel(&dotted, 2, 2), [10; 4], "{health:?}: the icon outside the dot is unchanged");
        }
    }

    #[test]
    fn each_health_has_its_own_words() {
        let labels = [HealthView::AllGood, HealthView::NeedsSignIn, HealthView::Error].map(label);
        assert!(labels[1].contains("sign-in") && labels[2].contains("error"), "{labels:?}");
    }
}
